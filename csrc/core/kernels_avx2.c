/* AVX2 + FMA + F16C kernels: a group of 8 Philox blocks is two halves of
 * 4 blocks, each in a pair of ymm registers (A = c0 | c1 << 32,
 * B = c2 | c3 << 32).  AVX2 lacks unsigned and 64-bit integer conversions,
 * so those are rebuilt from exact pieces; every value still follows wimath.h
 * operation for operation and equals the scalar path's bits.  Compiled with
 * AVX2 flags; only called after dispatch.c has checked the CPU and OS. */
#include <immintrin.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

typedef struct {
    __m256i k0[WI_ROUNDS], k1[WI_ROUNDS]; /* round keys in the high 32 bits of each lane */
    __m256i stream;
} keys256;

static inline void keys_init(keys256 *k, const wi_params *p)
{
    for (int r = 0; r < WI_ROUNDS; r++) {
        k->k0[r] = _mm256_set1_epi64x((int64_t)((uint64_t)p->rk0[r] << 32));
        k->k1[r] = _mm256_set1_epi64x((int64_t)((uint64_t)p->rk1[r] << 32));
    }
    k->stream = _mm256_set1_epi64x((int64_t)p->stream);
}

/* new A = swap32(lo(P1) | (hi(P1) ^ c1 ^ k0) << 32), likewise B from P0 */
#define ROUND(A, B, r)                                                                                 \
    do {                                                                                               \
        __m256i p0_ = _mm256_mul_epu32(A, m0), p1_ = _mm256_mul_epu32(B, m1);                          \
        A = _mm256_shuffle_epi32(                                                                      \
            _mm256_blend_epi32(p1_, _mm256_xor_si256(_mm256_xor_si256(p1_, A), k->k0[r]), 0xAA), 0xB1); \
        B = _mm256_shuffle_epi32(                                                                      \
            _mm256_blend_epi32(p0_, _mm256_xor_si256(_mm256_xor_si256(p0_, B), k->k1[r]), 0xAA), 0xB1); \
    } while (0)

/* Group g: x[h], y[h] hold blocks 8g + 4h .. 8g + 4h + 3. */
static inline void philox_group(const keys256 *k, uint64_t g, __m256i x[2], __m256i y[2])
{
    const __m256i m0 = _mm256_set1_epi64x(WI_PHILOX_M0), m1 = _mm256_set1_epi64x(WI_PHILOX_M1);
    __m256i a0 = _mm256_add_epi64(_mm256_set1_epi64x((int64_t)(8 * g)), _mm256_set_epi64x(3, 2, 1, 0));
    __m256i a1 = _mm256_add_epi64(a0, _mm256_set1_epi64x(4));
    __m256i b0 = k->stream, b1 = k->stream;
    for (int r = 0; r < WI_ROUNDS; r++) {
        ROUND(a0, b0, r);
        ROUND(a1, b1, r);
    }
    x[0] = a0;
    x[1] = a1;
    y[0] = b0;
    y[1] = b1;
}

/* ---- float32 ---- */

static inline __m256 uniform_ps(const wi_params *p, __m256i w)
{
    __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)), _mm256_set1_ps(0x1p-24f));
    __m256 y = _mm256_fmadd_ps(u, _mm256_set1_ps(p->width32), _mm256_set1_ps(p->lo32));
    return _mm256_min_ps(y, _mm256_set1_ps(p->hi32));
}

/* float(x) for unsigned x, rounded once to nearest even */
static inline __m256 cvtepu32_ps(__m256i x)
{
    __m256 hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(x, 16)), _mm256_set1_ps(65536.0f));
    return _mm256_add_ps(hi, _mm256_cvtepi32_ps(_mm256_and_si256(x, _mm256_set1_epi32(0xFFFF))));
}

static inline __m256 log_ps(__m256 x)
{
    const __m256i sqrt_half = _mm256_set1_epi32((int)WI_F_SQRT_HALF_BITS);
    __m256i ix = _mm256_sub_epi32(_mm256_castps_si256(x), sqrt_half);
    __m256i e = _mm256_srai_epi32(ix, 23);
    __m256 m = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_and_si256(ix, _mm256_set1_epi32(0x007FFFFF)), sqrt_half));
    __m256 f = _mm256_sub_ps(m, _mm256_set1_ps(1.0f));
    __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(WI_F_LOG_P6), f, _mm256_set1_ps(WI_F_LOG_P5));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(WI_F_LOG_P4));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(WI_F_LOG_P3));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(WI_F_LOG_P2));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(WI_F_LOG_P1));
    q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(WI_F_LOG_P0));
    __m256 logm = _mm256_fmadd_ps(_mm256_mul_ps(f, f), _mm256_fmadd_ps(f, q, _mm256_set1_ps(-0.5f)), f);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(e), _mm256_set1_ps(WI_F_LN2), logm);
}

static inline void normal_ps(const wi_params *p, __m256i xw, __m256i yw, __m256 *zc, __m256 *zs)
{
    __m256 u1 = _mm256_fmadd_ps(cvtepu32_ps(xw), _mm256_set1_ps(0x1p-32f), _mm256_set1_ps(0x1p-33f));
    __m256 rad = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), log_ps(u1)));

    __m256i k = _mm256_and_si256(_mm256_srli_epi32(yw, 5), _mm256_set1_epi32(0xFFFFFF));
    __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(k), _mm256_set1_ps(WI_F_QUARTER_PI_2M24));
    __m256 t2 = _mm256_mul_ps(t, t);
    __m256 ps = _mm256_fmadd_ps(_mm256_set1_ps(WI_F_SIN_C7), t2, _mm256_set1_ps(WI_F_SIN_C5));
    ps = _mm256_fmadd_ps(ps, t2, _mm256_set1_ps(WI_F_SIN_C3));
    __m256 s = _mm256_fmadd_ps(_mm256_mul_ps(t, t2), ps, t);
    __m256 pc = _mm256_fmadd_ps(_mm256_set1_ps(WI_F_COS_C8), t2, _mm256_set1_ps(WI_F_COS_C6));
    pc = _mm256_fmadd_ps(pc, t2, _mm256_set1_ps(WI_F_COS_C4));
    pc = _mm256_fmadd_ps(pc, t2, _mm256_set1_ps(WI_F_COS_C2));
    __m256 c = _mm256_fmadd_ps(t2, pc, _mm256_set1_ps(1.0f));

    /* octant: bit 29 swaps (blendv reads bit 31 of yw << 2), bits 31 and 30 negate */
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
    __m256 swap = _mm256_castsi256_ps(_mm256_slli_epi32(yw, 2));
    __m256 cv = _mm256_xor_ps(_mm256_blendv_ps(c, s, swap), _mm256_and_ps(_mm256_castsi256_ps(yw), sign));
    __m256 sv = _mm256_xor_ps(_mm256_blendv_ps(s, c, swap),
                              _mm256_and_ps(_mm256_castsi256_ps(_mm256_slli_epi32(yw, 1)), sign));

    __m256 rs = _mm256_mul_ps(rad, _mm256_set1_ps(p->width32)), mean = _mm256_set1_ps(p->lo32);
    *zc = _mm256_fmadd_ps(rs, cv, mean);
    *zs = _mm256_fmadd_ps(rs, sv, mean);
}

static inline __m128i to_bf16(__m256 v)
{
    __m256i x = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    /* NaN: |x| > inf as signed integers (|x| < 2^31) */
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
    r = _mm256_blendv_epi8(r, quiet, nan);
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

static inline void store_f32(float *o, __m256 v, int nt)
{
    if (nt)
        _mm256_stream_ps(o, v);
    else
        _mm256_storeu_ps(o, v);
}

static inline void store_h(uint16_t *o, __m128i h, int nt)
{
    if (nt)
        _mm_stream_si128((__m128i *)o, h);
    else
        _mm_storeu_si128((__m128i *)o, h);
}

#define STORE_F32(o, v, nt) store_f32((float *)(o), v, nt)
#define STORE_F16(o, v, nt) store_h((uint16_t *)(o), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), nt)
#define STORE_BF16(o, v, nt) store_h((uint16_t *)(o), to_bf16(v), nt)

/* v[h]: elements 8h.. of the group's first 16; v[2 + h]: of its last 16 */
static inline void uniform_f32(const keys256 *k, const wi_params *p, uint64_t g, __m256 v[4])
{
    __m256i x[2], y[2];
    philox_group(k, g, x, y);
    for (int h = 0; h < 2; h++) {
        v[h] = uniform_ps(p, x[h]);
        v[2 + h] = uniform_ps(p, y[h]);
    }
}

static inline void normal_f32(const keys256 *k, const wi_params *p, uint64_t g, __m256 v[4])
{
    __m256i x[2], y[2];
    philox_group(k, g, x, y);
    for (int h = 0; h < 2; h++)
        normal_ps(p, x[h], y[h], &v[h], &v[2 + h]);
}

/* ---- trunc normal (float32 modes) ---- */

static inline __m256 horner_ps(const float *c, int n, __m256 x)
{
    __m256 acc = _mm256_set1_ps(c[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        acc = _mm256_fmadd_ps(acc, x, _mm256_set1_ps(c[i]));
    return acc;
}

/* g(s) evaluating only the pieces this fill's window can reach */
static inline __m256 quantile_ps(__m256 s, int pieces)
{
    __m256 t = _mm256_sub_ps(_mm256_set1_ps(0.5f), s);
    __m256 num = _mm256_setzero_ps(), den = _mm256_set1_ps(1.0f), m = _mm256_set1_ps(1.0f);
    if (pieces & WI_TQ_TAIL) {
        __m256 r = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), log_ps(s)));
        num = horner_ps(wi_f_tq_tn, 5, r);
        den = horner_ps(wi_f_tq_td, 5, r);
    }
    if (pieces & WI_TQ_MIDDLE) {
        __m256 in = _mm256_cmp_ps(s, _mm256_set1_ps(WI_F_TQ_S1), _CMP_GE_OQ);
        __m256 w = _mm256_sub_ps(t, _mm256_set1_ps(WI_F_TQ_C));
        num = _mm256_blendv_ps(num, horner_ps(wi_f_tq_bn, 5, w), in);
        den = _mm256_blendv_ps(den, horner_ps(wi_f_tq_bd, 4, w), in);
    }
    if (pieces & WI_TQ_CENTRE) {
        __m256 in = _mm256_cmp_ps(s, _mm256_set1_ps(WI_F_TQ_S0), _CMP_GE_OQ);
        __m256 z = _mm256_mul_ps(t, t);
        num = _mm256_blendv_ps(num, horner_ps(wi_f_tq_cn, 5, z), in);
        den = _mm256_blendv_ps(den, horner_ps(wi_f_tq_cd, 4, z), in);
        m = _mm256_blendv_ps(m, t, in);
    }
    return _mm256_mul_ps(m, _mm256_div_ps(num, den));
}

static inline __m256 clamp_ps(const wi_params *p, __m256 v)
{
    return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(p->tlo32)), _mm256_set1_ps(p->thi32));
}

static inline __m256 trunc_ps(const wi_params *p, __m256i w)
{
    const __m256 scale = _mm256_set1_ps(0x1p-32f), half = _mm256_set1_ps(0x1p-33f);
    __m256 u = _mm256_fmadd_ps(cvtepu32_ps(w), scale, half);
    __m256 v = _mm256_fmadd_ps(cvtepu32_ps(_mm256_xor_si256(w, _mm256_set1_epi32(-1))), scale, half);
    __m256 mass = _mm256_set1_ps(p->tmass32);
    __m256 lower = _mm256_fmadd_ps(u, mass, _mm256_set1_ps(p->tpa32));
    __m256 upper = _mm256_fmadd_ps(v, mass, _mm256_set1_ps(p->tqb32));
    __m256 left = _mm256_cmp_ps(lower, upper, _CMP_LE_OQ);
    __m256 x = quantile_ps(_mm256_blendv_ps(upper, lower, left), p->tpieces);
    x = _mm256_xor_ps(x, _mm256_and_ps(left, _mm256_set1_ps(-0.0f)));
    return clamp_ps(p, _mm256_fmadd_ps(x, _mm256_set1_ps(p->width32), _mm256_set1_ps(p->lo32)));
}

static inline void trunc_f32(const keys256 *k, const wi_params *p, uint64_t g, __m256 v[4])
{
    if (p->tmode == WI_TM_NORMAL) {
        normal_f32(k, p, g, v);
        for (int i = 0; i < 4; i++)
            v[i] = clamp_ps(p, v[i]);
        return;
    }
    __m256i x[2], y[2];
    philox_group(k, g, x, y);
    for (int h = 0; h < 2; h++) {
        v[h] = trunc_ps(p, x[h]);
        v[2 + h] = trunc_ps(p, y[h]);
    }
}

#define GROUPS32(NAME, VALUES, T, STORE)                                                      \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out)              \
    {                                                                                          \
        keys256 k;                                                                             \
        T *o = out;                                                                            \
        int nt = p->nontemporal && ((uintptr_t)out & 63) == 0;                                 \
        keys_init(&k, p);                                                                      \
        for (size_t i = 0; i < count; i++, o += WI_GROUP32) {                                  \
            __m256 v[4];                                                                       \
            VALUES(&k, p, group + i, v);                                                       \
            for (int h = 0; h < 4; h++)                                                        \
                STORE(o + 8 * h, v[h], nt);                                                    \
        }                                                                                      \
        if (nt)                                                                                \
            _mm_sfence();                                                                      \
    }

GROUPS32(avx2_uniform_f32, uniform_f32, float, STORE_F32)
GROUPS32(avx2_uniform_f16, uniform_f32, uint16_t, STORE_F16)
GROUPS32(avx2_uniform_bf16, uniform_f32, uint16_t, STORE_BF16)
GROUPS32(avx2_normal_f32, normal_f32, float, STORE_F32)
GROUPS32(avx2_normal_f16, normal_f32, uint16_t, STORE_F16)
GROUPS32(avx2_normal_bf16, normal_f32, uint16_t, STORE_BF16)
GROUPS32(avx2_trunc_f32, trunc_f32, float, STORE_F32)
GROUPS32(avx2_trunc_f16, trunc_f32, uint16_t, STORE_F16)
GROUPS32(avx2_trunc_bf16, trunc_f32, uint16_t, STORE_BF16)

/* ---- float64 ---- */

#define MAGIC52 0x4330000000000000ll /* the bits of 2^52 */

/* double(x) for integer lanes 0 <= x < 2^52, exactly */
static inline __m256d small_u64_to_pd(__m256i x)
{
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(x, _mm256_set1_epi64x(MAGIC52))),
                         _mm256_set1_pd(0x1p52));
}

static inline __m256d uniform_pd(const wi_params *p, __m256i w)
{
    /* the 53-bit integer w >> 11 as hi (21 bits) * 2^32 + lo (32 bits), exactly */
    __m256d hi = small_u64_to_pd(_mm256_srli_epi64(w, 43));
    __m256d lo = small_u64_to_pd(_mm256_and_si256(_mm256_srli_epi64(w, 11), _mm256_set1_epi64x(0xFFFFFFFFll)));
    __m256d k = _mm256_add_pd(_mm256_mul_pd(hi, _mm256_set1_pd(0x1p32)), lo);
    __m256d u = _mm256_mul_pd(k, _mm256_set1_pd(0x1p-53));
    __m256d y = _mm256_fmadd_pd(u, _mm256_set1_pd(p->width64), _mm256_set1_pd(p->lo64));
    return _mm256_min_pd(y, _mm256_set1_pd(p->hi64));
}

static inline __m256d log_pd(__m256d x)
{
    const __m256i sqrt_half = _mm256_set1_epi64x((int64_t)WI_D_SQRT_HALF_BITS);
    __m256i ix = _mm256_sub_epi64(_mm256_castpd_si256(x), sqrt_half);
    /* e = ix >> 52 as a signed 12-bit number */
    __m256d eu = small_u64_to_pd(_mm256_srli_epi64(ix, 52));
    __m256d wrap = _mm256_and_pd(_mm256_cmp_pd(eu, _mm256_set1_pd(2048.0), _CMP_GE_OQ), _mm256_set1_pd(4096.0));
    __m256d e = _mm256_sub_pd(eu, wrap);
    __m256d m = _mm256_castsi256_pd(
        _mm256_add_epi64(_mm256_and_si256(ix, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFll)), sqrt_half));
    __m256d f = _mm256_sub_pd(m, _mm256_set1_pd(1.0));
    __m256d s = _mm256_div_pd(f, _mm256_add_pd(_mm256_set1_pd(2.0), f));
    __m256d z = _mm256_mul_pd(s, s);
    __m256d q = _mm256_set1_pd(wi_d_log_c[0]);
    for (int i = 1; i < 11; i++)
        q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(wi_d_log_c[i]));
    __m256d hs = _mm256_add_pd(s, s);
    __m256d logm = _mm256_fmadd_pd(_mm256_mul_pd(hs, z), q, hs);
    return _mm256_fmadd_pd(e, _mm256_set1_pd(WI_D_LN2), logm);
}

static inline void normal_pd(const wi_params *p, __m256i xw, __m256i yw, __m256d *zc, __m256d *zs)
{
    __m256d u1 = _mm256_mul_pd(_mm256_add_pd(small_u64_to_pd(_mm256_srli_epi64(xw, 12)), _mm256_set1_pd(0.5)),
                               _mm256_set1_pd(0x1p-52));
    __m256d rad = _mm256_sqrt_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), log_pd(u1)));

    /* the 53-bit k = (yw >> 8) & (2^53 - 1) as hi (21 bits) * 2^32 + lo (32 bits), exactly */
    __m256d khi = small_u64_to_pd(_mm256_and_si256(_mm256_srli_epi64(yw, 40), _mm256_set1_epi64x(0x1FFFFF)));
    __m256d klo = small_u64_to_pd(_mm256_and_si256(_mm256_srli_epi64(yw, 8), _mm256_set1_epi64x(0xFFFFFFFFll)));
    __m256d kd = _mm256_add_pd(_mm256_mul_pd(khi, _mm256_set1_pd(0x1p32)), klo);
    __m256d t = _mm256_mul_pd(kd, _mm256_set1_pd(WI_D_QUARTER_PI_2M53));
    __m256d t2 = _mm256_mul_pd(t, t);
    __m256d ps = _mm256_set1_pd(wi_d_sin_c[0]);
    for (int i = 1; i < 8; i++)
        ps = _mm256_fmadd_pd(ps, t2, _mm256_set1_pd(wi_d_sin_c[i]));
    __m256d s = _mm256_fmadd_pd(_mm256_mul_pd(t, t2), ps, t);
    __m256d pc = _mm256_set1_pd(wi_d_cos_c[0]);
    for (int i = 1; i < 9; i++)
        pc = _mm256_fmadd_pd(pc, t2, _mm256_set1_pd(wi_d_cos_c[i]));
    __m256d c = _mm256_fmadd_pd(t2, pc, _mm256_set1_pd(1.0));

    const __m256d sign = _mm256_castsi256_pd(_mm256_set1_epi64x((int64_t)0x8000000000000000ull));
    __m256d swap = _mm256_castsi256_pd(_mm256_slli_epi64(yw, 2));
    __m256d cv = _mm256_xor_pd(_mm256_blendv_pd(c, s, swap), _mm256_and_pd(_mm256_castsi256_pd(yw), sign));
    __m256d sv = _mm256_xor_pd(_mm256_blendv_pd(s, c, swap),
                               _mm256_and_pd(_mm256_castsi256_pd(_mm256_slli_epi64(yw, 1)), sign));

    __m256d rs = _mm256_mul_pd(rad, _mm256_set1_pd(p->width64)), mean = _mm256_set1_pd(p->lo64);
    *zc = _mm256_fmadd_pd(rs, cv, mean);
    *zs = _mm256_fmadd_pd(rs, sv, mean);
}

static inline void uniform_f64(const keys256 *k, const wi_params *p, uint64_t g, __m256d v[4])
{
    __m256i x[2], y[2];
    philox_group(k, g, x, y);
    for (int h = 0; h < 2; h++) {
        v[h] = uniform_pd(p, x[h]);
        v[2 + h] = uniform_pd(p, y[h]);
    }
}

static inline void normal_f64(const keys256 *k, const wi_params *p, uint64_t g, __m256d v[4])
{
    __m256i x[2], y[2];
    philox_group(k, g, x, y);
    for (int h = 0; h < 2; h++)
        normal_pd(p, x[h], y[h], &v[h], &v[2 + h]);
}

/* ---- trunc normal (float64 modes) ---- */

static inline __m256d horner_pd(const double *c, int n, __m256d x)
{
    __m256d acc = _mm256_set1_pd(c[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        acc = _mm256_fmadd_pd(acc, x, _mm256_set1_pd(c[i]));
    return acc;
}

static inline __m256d horner_tail_pd(const double *c1, const double *c2, __m256d first, __m256d x)
{
    __m256d acc = _mm256_blendv_pd(_mm256_set1_pd(c2[WI_D_TQ_TN - 1]), _mm256_set1_pd(c1[WI_D_TQ_TN - 1]), first);
    for (int i = WI_D_TQ_TN - 2; i >= 0; i--)
        acc = _mm256_fmadd_pd(acc, x, _mm256_blendv_pd(_mm256_set1_pd(c2[i]), _mm256_set1_pd(c1[i]), first));
    return acc;
}

static inline __m256d quantile_pd(__m256d s)
{
    __m256d r = _mm256_sqrt_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), log_pd(s)));
    __m256d t = _mm256_sub_pd(_mm256_set1_pd(0.5), s), z = _mm256_mul_pd(t, t);
    __m256d central = _mm256_cmp_pd(s, _mm256_set1_pd(WI_D_TQ_S0), _CMP_GE_OQ);
    __m256d first = _mm256_cmp_pd(r, _mm256_set1_pd(WI_D_TQ_R1), _CMP_LE_OQ);
    __m256d xt = _mm256_blendv_pd(_mm256_mul_pd(_mm256_sub_pd(r, _mm256_set1_pd(WI_D_TQ_R1)), _mm256_set1_pd(WI_D_TQ_XS)),
                                  r, first);
    __m256d num = _mm256_blendv_pd(horner_tail_pd(wi_d_tq_t1n, wi_d_tq_t2n, first, xt),
                                   horner_pd(wi_d_tq_cn, WI_D_TQ_CN, z), central);
    __m256d den = _mm256_blendv_pd(horner_tail_pd(wi_d_tq_t1d, wi_d_tq_t2d, first, xt),
                                   horner_pd(wi_d_tq_cd, WI_D_TQ_CN, z), central);
    return _mm256_mul_pd(_mm256_blendv_pd(_mm256_set1_pd(1.0), t, central), _mm256_div_pd(num, den));
}

static inline __m256d clamp_pd(const wi_params *p, __m256d v)
{
    return _mm256_min_pd(_mm256_max_pd(v, _mm256_set1_pd(p->tlo64)), _mm256_set1_pd(p->thi64));
}

static inline __m256d trunc_pd(const wi_params *p, __m256i w)
{
    const __m256d scale = _mm256_set1_pd(0x1p-52), half = _mm256_set1_pd(0.5);
    __m256d u = _mm256_mul_pd(_mm256_add_pd(small_u64_to_pd(_mm256_srli_epi64(w, 12)), half), scale);
    __m256i nw = _mm256_xor_si256(w, _mm256_set1_epi64x(-1));
    __m256d v = _mm256_mul_pd(_mm256_add_pd(small_u64_to_pd(_mm256_srli_epi64(nw, 12)), half), scale);
    __m256d mass = _mm256_set1_pd(p->tmass64);
    __m256d lower = _mm256_fmadd_pd(u, mass, _mm256_set1_pd(p->tpa64));
    __m256d upper = _mm256_fmadd_pd(v, mass, _mm256_set1_pd(p->tqb64));
    __m256d left = _mm256_cmp_pd(lower, upper, _CMP_LE_OQ);
    __m256d x = quantile_pd(_mm256_blendv_pd(upper, lower, left));
    x = _mm256_xor_pd(x, _mm256_and_pd(left, _mm256_set1_pd(-0.0)));
    return clamp_pd(p, _mm256_fmadd_pd(x, _mm256_set1_pd(p->width64), _mm256_set1_pd(p->lo64)));
}

static inline void trunc_f64(const keys256 *k, const wi_params *p, uint64_t g, __m256d v[4])
{
    if (p->tmode == WI_TM_NORMAL) {
        normal_f64(k, p, g, v);
        for (int i = 0; i < 4; i++)
            v[i] = clamp_pd(p, v[i]);
        return;
    }
    __m256i x[2], y[2];
    philox_group(k, g, x, y);
    for (int h = 0; h < 2; h++) {
        v[h] = trunc_pd(p, x[h]);
        v[2 + h] = trunc_pd(p, y[h]);
    }
}

static inline void store_f64(double *o, __m256d v, int nt)
{
    if (nt)
        _mm256_stream_pd(o, v);
    else
        _mm256_storeu_pd(o, v);
}

#define GROUPS64(NAME, VALUES)                                                                \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out)              \
    {                                                                                          \
        keys256 k;                                                                             \
        double *o = out;                                                                       \
        int nt = p->nontemporal && ((uintptr_t)out & 63) == 0;                                 \
        keys_init(&k, p);                                                                      \
        for (size_t i = 0; i < count; i++, o += WI_GROUP64) {                                  \
            __m256d v[4];                                                                      \
            VALUES(&k, p, group + i, v);                                                       \
            for (int h = 0; h < 4; h++)                                                        \
                store_f64(o + 4 * h, v[h], nt);                                                \
        }                                                                                      \
        if (nt)                                                                                \
            _mm_sfence();                                                                      \
    }

GROUPS64(avx2_uniform_f64, uniform_f64)
GROUPS64(avx2_normal_f64, normal_f64)
GROUPS64(avx2_trunc_f64, trunc_f64)

WI_DEFINE_TABLE(wi_kernels_avx2, "avx2", avx2);
