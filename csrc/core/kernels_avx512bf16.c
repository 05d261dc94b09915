/* The AVX-512 path with AVX512_BF16, "avx512bf16", wi_kernels_avx512bf16:
 * every distribution x dtype (kernels_driver.h) over simd_avx512.h, with
 * bfloat16 groups rounded by VCVTNE2PS2BF16 (exact, with the integer
 * rounding for groups holding a float32 denormal; see simd_avx512.h), one
 * 64-byte store per group.  Its own name so that tests compare it with the
 * integer rounding of "avx512".  Built with -mavx512bf16 on top of the
 * AVX-512 flags. */
#define WI_AVX512_BF16 1
#include "simd_avx512.h"

#define WI_TABLE wi_kernels_avx512bf16
#define WI_TABLE_NAME "avx512bf16"
#define WI_TABLE_NEEDS (WI_CAP_AVX2 | WI_CAP_AVX512 | WI_CAP_AVX512BF16)
#include "kernels_driver.h"
