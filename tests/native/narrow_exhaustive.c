/* Every float32 bit pattern (2^32) through the AVX-512 narrowing stores of
 * simd_avx512.h against the reference rounding of wimath.h: bfloat16 by
 * VCVTNE2PS2BF16 with its denormal fallback, bfloat16 by the integer
 * rounding, and float16 by F16C.  Built with the flags of
 * kernels_avx512bf16.c; run by tests/test_native.py where the CPU has
 * AVX512_BF16.  Prints the mismatch count per conversion (all 0 to pass). */
#define WI_AVX512_BF16 1
#include <stdio.h>

#include "simd_avx512.h"
#include "wimath.h"

int main(void)
{
    unsigned long long bad_hw = 0, bad_int = 0, bad_f16 = 0;
    if (!__builtin_cpu_supports("avx512bf16")) {
        fprintf(stderr, "this CPU has no AVX512_BF16\n");
        return 2;
    }
    for (uint64_t base = 0; base < (1ull << 32); base += 32) {
        _Alignas(64) uint32_t in[32];
        _Alignas(64) uint16_t hw[32], in16[32], f16[32];
        vf v[2];
        for (int i = 0; i < 32; i++)
            in[i] = (uint32_t)(base + (uint64_t)i);
        v[0] = _mm512_load_ps((const float *)in);
        v[1] = _mm512_load_ps((const float *)in + 16);
        _mm512_store_si512(hw, bf16_group_hw(v));
        _mm512_store_si512(in16, bf16_group_int(v));
        store_f16_group(f16, v, 0);
        for (int i = 0; i < 32; i++) {
            float f = wi_u2f(in[i]);
            uint16_t ref = wi_f32_to_bf16(f);
            bad_hw += hw[i] != ref;
            bad_int += in16[i] != ref;
            bad_f16 += f16[i] != wi_f32_to_f16(f);
        }
    }
    printf("bf16 vcvtne2ps2bf16+fallback: %llu mismatches\nbf16 integer: %llu mismatches\nf16 f16c: %llu mismatches\n",
           bad_hw, bad_int, bad_f16);
    return bad_hw || bad_int || bad_f16;
}
