/* Throughput of the vector operations the kernels are made of, alone and in
 * pairs (x86-64): how many a core issues per nanosecond, 12 independent
 * chains each, best of 5 runs.  A pair sharing a pipe shows as one op's
 * rate; a pair on separate pipes as twice that.  Built with AVX-512 flags by
 * tools/ceiling.py, run only where the CPU has AVX-512. */
#include <immintrin.h>
#include <stdio.h>

#include "timing.h"

#define ITER 5000000L
#define K 6
/* 2K chains: K of type TA updated by OPA(x), K of type TB by OPB(y) */
#define PAIR(name, TA, SETA, OPA, TB, SETB, OPB)                                                   \
    do {                                                                                           \
        TA x[K];                                                                                   \
        TB y[K];                                                                                   \
        for (int j = 0; j < K; j++) {                                                              \
            x[j] = SETA(j + 1.5f);                                                                 \
            y[j] = SETB(j + 7);                                                                    \
        }                                                                                          \
        double best = 0;                                                                           \
        for (int run = 0; run < 5; run++) {                                                        \
            double t0 = now();                                                                     \
            for (long i = 0; i < ITER; i++) {                                                      \
                _Pragma("GCC unroll 6") for (int j = 0; j < K; j++)                                \
                {                                                                                  \
                    x[j] = OPA(x[j]);                                                              \
                    y[j] = OPB(y[j]);                                                              \
                }                                                                                  \
                __asm__ volatile("" ::"v"(x[0]), "v"(x[1]), "v"(x[2]), "v"(x[3]), "v"(x[4]), "v"(x[5]),  \
                                 "v"(y[0]), "v"(y[1]), "v"(y[2]), "v"(y[3]), "v"(y[4]), "v"(y[5])); \
            }                                                                                      \
            double r = 2.0 * K * ITER / (now() - t0) * 1e-9;                                       \
            if (r > best)                                                                          \
                best = r;                                                                          \
        }                                                                                          \
        printf("%s\t%.2f\n", name, best);                                                          \
    } while (0)

#define SAME(name, T, SET, OP) PAIR(name, T, SET, OP, T, SET, OP)

#define F512(v) _mm512_set1_ps(v)
#define I512(v) _mm512_set1_epi32((int)(v))
#define F256(v) _mm256_set1_ps(v)
#define I256(v) _mm256_set1_epi32((int)(v))
#define MULU512(a) _mm512_mul_epu32(a, _mm512_set1_epi64(0xD2511F53))
#define MULU256(a) _mm256_mul_epu32(a, _mm256_set1_epi64x(0xD2511F53))
#define TERN512(a) _mm512_ternarylogic_epi32(a, _mm512_set1_epi32(3), _mm512_set1_epi32(5), 0x96)
#define SHUF512(a) _mm512_shuffle_epi32(a, _MM_PERM_CDAB)
#define SHUF256(a) _mm256_shuffle_epi32(a, 0xB1)
#define FMA512(a) _mm512_fmadd_ps(a, _mm512_set1_ps(1.0000001f), _mm512_set1_ps(1e-7f))
#define FMA256(a) _mm256_fmadd_ps(a, _mm256_set1_ps(1.0000001f), _mm256_set1_ps(1e-7f))
#define ADD512(a) _mm512_add_ps(a, _mm512_set1_ps(1e-7f))
#define ADDI256(a) _mm256_add_epi32(a, _mm256_set1_epi32(3))
#define SQRT512(a) _mm512_sqrt_ps(a)

int main(void)
{
    SAME("zmm vpmuludq", __m512i, I512, MULU512);
    SAME("ymm vpmuludq", __m256i, I256, MULU256);
    SAME("zmm vpternlogd", __m512i, I512, TERN512);
    SAME("zmm vpshufd", __m512i, I512, SHUF512);
    SAME("ymm vpshufd", __m256i, I256, SHUF256);
    SAME("zmm vfmadd", __m512, F512, FMA512);
    SAME("ymm vfmadd", __m256, F256, FMA256);
    SAME("zmm vaddps", __m512, F512, ADD512);
    SAME("ymm vpaddd", __m256i, I256, ADDI256);
    SAME("zmm vsqrtps", __m512, F512, SQRT512);
    PAIR("zmm vfmadd + vaddps", __m512, F512, FMA512, __m512, F512, ADD512);
    PAIR("zmm vfmadd + vpmuludq", __m512, F512, FMA512, __m512i, I512, MULU512);
    PAIR("zmm vpmuludq + vpternlogd", __m512i, I512, MULU512, __m512i, I512, TERN512);
    PAIR("zmm vpmuludq + vpshufd", __m512i, I512, MULU512, __m512i, I512, SHUF512);
    return 0;
}
