/* AVX-512 kernels (F, DQ, BW, VL): 8 Philox blocks per pair of zmm registers,
 * two groups interleaved for latency.  The state of a block lives in two
 * 64-bit lanes, A = c0 | c1 << 32 and B = c2 | c3 << 32, so one vpmuludq gives
 * a whole 32x32->64 product, and a masked ternary-logic XOR plus a 32-bit swap
 * finish a round.  Values follow wimath.h operation for operation, so they
 * equal the scalar path's bit for bit.  Compiled with AVX-512 flags; only
 * called after dispatch.c has checked the CPU and OS. */
#include <immintrin.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

typedef struct {
    __m512i k0[WI_ROUNDS], k1[WI_ROUNDS]; /* round keys in the high 32 bits of each lane */
    __m512i stream;
} keys512;

static inline void keys_init(keys512 *k, const wi_params *p)
{
    for (int r = 0; r < WI_ROUNDS; r++) {
        k->k0[r] = _mm512_set1_epi64((int64_t)((uint64_t)p->rk0[r] << 32));
        k->k1[r] = _mm512_set1_epi64((int64_t)((uint64_t)p->rk1[r] << 32));
    }
    k->stream = _mm512_set1_epi64((int64_t)p->stream);
}

#define ROUND(A, B, r)                                                                          \
    do {                                                                                        \
        __m512i p0_ = _mm512_mul_epu32(A, m0), p1_ = _mm512_mul_epu32(B, m1);                   \
        A = _mm512_shuffle_epi32(_mm512_mask_ternarylogic_epi32(p1_, 0xAAAA, A, k->k0[r], 0x96), \
                                 _MM_PERM_CDAB);                                                \
        B = _mm512_shuffle_epi32(_mm512_mask_ternarylogic_epi32(p0_, 0xAAAA, B, k->k1[r], 0x96), \
                                 _MM_PERM_CDAB);                                                \
    } while (0)

/* Groups g and g + 1: X/Y words of their 8 blocks each. */
static inline void philox_2groups(const keys512 *k, uint64_t g, __m512i *x0, __m512i *y0, __m512i *x1,
                                  __m512i *y1)
{
    const __m512i m0 = _mm512_set1_epi64(WI_PHILOX_M0), m1 = _mm512_set1_epi64(WI_PHILOX_M1);
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    __m512i a0 = _mm512_add_epi64(_mm512_set1_epi64((int64_t)(8 * g)), iota);
    __m512i a1 = _mm512_add_epi64(a0, _mm512_set1_epi64(8));
    __m512i b0 = k->stream, b1 = k->stream;
    for (int r = 0; r < WI_ROUNDS; r++) {
        ROUND(a0, b0, r);
        ROUND(a1, b1, r);
    }
    *x0 = a0;
    *y0 = b0;
    *x1 = a1;
    *y1 = b1;
}

/* ---- float32 values ---- */

static inline __m512 uniform_ps(const wi_params *p, __m512i w)
{
    __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)), _mm512_set1_ps(0x1p-24f));
    __m512 y = _mm512_fmadd_ps(u, _mm512_set1_ps(p->width32), _mm512_set1_ps(p->lo32));
    return _mm512_min_ps(y, _mm512_set1_ps(p->hi32));
}

static inline __m512 log_ps(__m512 x)
{
    const __m512i sqrt_half = _mm512_set1_epi32((int)WI_F_SQRT_HALF_BITS);
    __m512i ix = _mm512_sub_epi32(_mm512_castps_si512(x), sqrt_half);
    __m512i e = _mm512_srai_epi32(ix, 23);
    __m512 m = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_and_si512(ix, _mm512_set1_epi32(0x007FFFFF)), sqrt_half));
    __m512 f = _mm512_sub_ps(m, _mm512_set1_ps(1.0f));
    __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(WI_F_LOG_P6), f, _mm512_set1_ps(WI_F_LOG_P5));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(WI_F_LOG_P4));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(WI_F_LOG_P3));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(WI_F_LOG_P2));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(WI_F_LOG_P1));
    q = _mm512_fmadd_ps(q, f, _mm512_set1_ps(WI_F_LOG_P0));
    __m512 logm = _mm512_fmadd_ps(_mm512_mul_ps(f, f), _mm512_fmadd_ps(f, q, _mm512_set1_ps(-0.5f)), f);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(e), _mm512_set1_ps(WI_F_LN2), logm);
}

/* Box-Muller: radius from word xw, angle from word yw; r cos and r sin. */
static inline void normal_ps(const wi_params *p, __m512i xw, __m512i yw, __m512 *zc, __m512 *zs)
{
    __m512 u1 = _mm512_fmadd_ps(_mm512_cvtepu32_ps(xw), _mm512_set1_ps(0x1p-32f), _mm512_set1_ps(0x1p-33f));
    __m512 rad = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), log_ps(u1)));

    __m512i k = _mm512_and_si512(_mm512_srli_epi32(yw, 5), _mm512_set1_epi32(0xFFFFFF));
    __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(k), _mm512_set1_ps(WI_F_QUARTER_PI_2M24));
    __m512 t2 = _mm512_mul_ps(t, t);
    __m512 ps = _mm512_fmadd_ps(_mm512_set1_ps(WI_F_SIN_C7), t2, _mm512_set1_ps(WI_F_SIN_C5));
    ps = _mm512_fmadd_ps(ps, t2, _mm512_set1_ps(WI_F_SIN_C3));
    __m512 s = _mm512_fmadd_ps(_mm512_mul_ps(t, t2), ps, t);
    __m512 pc = _mm512_fmadd_ps(_mm512_set1_ps(WI_F_COS_C8), t2, _mm512_set1_ps(WI_F_COS_C6));
    pc = _mm512_fmadd_ps(pc, t2, _mm512_set1_ps(WI_F_COS_C4));
    pc = _mm512_fmadd_ps(pc, t2, _mm512_set1_ps(WI_F_COS_C2));
    __m512 c = _mm512_fmadd_ps(t2, pc, _mm512_set1_ps(1.0f));

    /* octant: bit 29 swaps, bits 31 and 30 negate (x ^ (y & sign), imm 0x78) */
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __mmask16 swap = _mm512_test_epi32_mask(yw, _mm512_set1_epi32(1 << 29));
    __m512i cv = _mm512_ternarylogic_epi32(_mm512_castps_si512(_mm512_mask_blend_ps(swap, c, s)), yw, sign, 0x78);
    __m512i sv = _mm512_ternarylogic_epi32(_mm512_castps_si512(_mm512_mask_blend_ps(swap, s, c)),
                                           _mm512_slli_epi32(yw, 1), sign, 0x78);

    __m512 rs = _mm512_mul_ps(rad, _mm512_set1_ps(p->width32)), mean = _mm512_set1_ps(p->lo32);
    *zc = _mm512_fmadd_ps(rs, _mm512_castsi512_ps(cv), mean);
    *zs = _mm512_fmadd_ps(rs, _mm512_castsi512_ps(sv), mean);
}

/* ---- stores ---- */

static inline __m256i to_bf16(__m512 v)
{
    __m512i x = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)),
                                            _mm512_set1_epi32(0x7F800000));
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(r);
}

static inline void store_f32(float *o, __m512 v, int nt)
{
    if (nt)
        _mm512_stream_ps(o, v);
    else
        _mm512_storeu_ps(o, v);
}

static inline void store_h(uint16_t *o, __m256i h, int nt)
{
    if (nt)
        _mm256_stream_si256((__m256i *)o, h);
    else
        _mm256_storeu_si256((__m256i *)o, h);
}

#define STORE_F32(o, v, nt) store_f32((float *)(o), v, nt)
#define STORE_F16(o, v, nt) store_h((uint16_t *)(o), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), nt)
#define STORE_BF16(o, v, nt) store_h((uint16_t *)(o), to_bf16(v), nt)

/* Values of groups g, g+1 as four vectors of 16 (v0 v1: group g; v2 v3: g + 1). */
static inline void uniform_f32x2(const keys512 *k, const wi_params *p, uint64_t g, __m512 v[4])
{
    __m512i x0, y0, x1, y1;
    philox_2groups(k, g, &x0, &y0, &x1, &y1);
    v[0] = uniform_ps(p, x0);
    v[1] = uniform_ps(p, y0);
    v[2] = uniform_ps(p, x1);
    v[3] = uniform_ps(p, y1);
}

static inline void normal_f32x2(const keys512 *k, const wi_params *p, uint64_t g, __m512 v[4])
{
    __m512i x0, y0, x1, y1;
    philox_2groups(k, g, &x0, &y0, &x1, &y1);
    normal_ps(p, x0, y0, &v[0], &v[1]);
    normal_ps(p, x1, y1, &v[2], &v[3]);
}

/* ---- trunc normal (float32 modes) ---- */

static inline __m512 horner_ps(const float *c, int n, __m512 x)
{
    __m512 acc = _mm512_set1_ps(c[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        acc = _mm512_fmadd_ps(acc, x, _mm512_set1_ps(c[i]));
    return acc;
}

/* g(s) evaluating only the pieces this fill's window can reach */
static inline __m512 quantile_ps(__m512 s, int pieces)
{
    __m512 t = _mm512_sub_ps(_mm512_set1_ps(0.5f), s);
    __m512 num = _mm512_setzero_ps(), den = _mm512_set1_ps(1.0f), m = _mm512_set1_ps(1.0f);
    if (pieces & WI_TQ_TAIL) {
        __m512 r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), log_ps(s)));
        num = horner_ps(wi_f_tq_tn, 5, r);
        den = horner_ps(wi_f_tq_td, 5, r);
    }
    if (pieces & WI_TQ_MIDDLE) {
        __mmask16 in = _mm512_cmp_ps_mask(s, _mm512_set1_ps(WI_F_TQ_S1), _CMP_GE_OQ);
        __m512 w = _mm512_sub_ps(t, _mm512_set1_ps(WI_F_TQ_C));
        num = _mm512_mask_blend_ps(in, num, horner_ps(wi_f_tq_bn, 5, w));
        den = _mm512_mask_blend_ps(in, den, horner_ps(wi_f_tq_bd, 4, w));
    }
    if (pieces & WI_TQ_CENTRE) {
        __mmask16 in = _mm512_cmp_ps_mask(s, _mm512_set1_ps(WI_F_TQ_S0), _CMP_GE_OQ);
        __m512 z = _mm512_mul_ps(t, t);
        num = _mm512_mask_blend_ps(in, num, horner_ps(wi_f_tq_cn, 5, z));
        den = _mm512_mask_blend_ps(in, den, horner_ps(wi_f_tq_cd, 4, z));
        m = _mm512_mask_blend_ps(in, m, t);
    }
    return _mm512_mul_ps(m, _mm512_div_ps(num, den));
}

static inline __m512 clamp_ps(const wi_params *p, __m512 v)
{
    return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p->tlo32)), _mm512_set1_ps(p->thi32));
}

static inline __m512 trunc_ps(const wi_params *p, __m512i w)
{
    const __m512 scale = _mm512_set1_ps(0x1p-32f), half = _mm512_set1_ps(0x1p-33f);
    __m512 u = _mm512_fmadd_ps(_mm512_cvtepu32_ps(w), scale, half);
    __m512 v = _mm512_fmadd_ps(_mm512_cvtepu32_ps(_mm512_xor_si512(w, _mm512_set1_epi32(-1))), scale, half);
    __m512 mass = _mm512_set1_ps(p->tmass32);
    __m512 lower = _mm512_fmadd_ps(u, mass, _mm512_set1_ps(p->tpa32));
    __m512 upper = _mm512_fmadd_ps(v, mass, _mm512_set1_ps(p->tqb32));
    __mmask16 left = _mm512_cmp_ps_mask(lower, upper, _CMP_LE_OQ);
    __m512 x = quantile_ps(_mm512_mask_blend_ps(left, upper, lower), p->tpieces);
    x = _mm512_mask_xor_ps(x, left, x, _mm512_set1_ps(-0.0f));
    return clamp_ps(p, _mm512_fmadd_ps(x, _mm512_set1_ps(p->width32), _mm512_set1_ps(p->lo32)));
}

static inline void trunc_f32x2(const keys512 *k, const wi_params *p, uint64_t g, __m512 v[4])
{
    if (p->tmode == WI_TM_NORMAL) {
        normal_f32x2(k, p, g, v);
        for (int i = 0; i < 4; i++)
            v[i] = clamp_ps(p, v[i]);
        return;
    }
    __m512i x0, y0, x1, y1;
    philox_2groups(k, g, &x0, &y0, &x1, &y1);
    v[0] = trunc_ps(p, x0);
    v[1] = trunc_ps(p, y0);
    v[2] = trunc_ps(p, x1);
    v[3] = trunc_ps(p, y1);
}

#define GROUPS32(NAME, VALUES, T, STORE)                                                      \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out)              \
    {                                                                                          \
        keys512 k;                                                                             \
        T *o = out;                                                                            \
        int nt = p->nontemporal && ((uintptr_t)out & 63) == 0;                                 \
        keys_init(&k, p);                                                                      \
        for (size_t i = 0; i < count; i += 2, o += 2 * WI_GROUP32) {                           \
            __m512 v[4];                                                                       \
            VALUES(&k, p, group + i, v);                                                       \
            STORE(o, v[0], nt);                                                                \
            STORE(o + 16, v[1], nt);                                                           \
            if (i + 1 < count) {                                                               \
                STORE(o + 32, v[2], nt);                                                       \
                STORE(o + 48, v[3], nt);                                                       \
            }                                                                                  \
        }                                                                                      \
        if (nt)                                                                                \
            _mm_sfence();                                                                      \
    }

GROUPS32(avx512_uniform_f32, uniform_f32x2, float, STORE_F32)
GROUPS32(avx512_uniform_f16, uniform_f32x2, uint16_t, STORE_F16)
GROUPS32(avx512_uniform_bf16, uniform_f32x2, uint16_t, STORE_BF16)
GROUPS32(avx512_normal_f32, normal_f32x2, float, STORE_F32)
GROUPS32(avx512_normal_f16, normal_f32x2, uint16_t, STORE_F16)
GROUPS32(avx512_normal_bf16, normal_f32x2, uint16_t, STORE_BF16)
GROUPS32(avx512_trunc_f32, trunc_f32x2, float, STORE_F32)
GROUPS32(avx512_trunc_f16, trunc_f32x2, uint16_t, STORE_F16)
GROUPS32(avx512_trunc_bf16, trunc_f32x2, uint16_t, STORE_BF16)

/* ---- float64 ---- */

static inline __m512d uniform_pd(const wi_params *p, __m512i w)
{
    __m512d u = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(w, 11)), _mm512_set1_pd(0x1p-53));
    __m512d y = _mm512_fmadd_pd(u, _mm512_set1_pd(p->width64), _mm512_set1_pd(p->lo64));
    return _mm512_min_pd(y, _mm512_set1_pd(p->hi64));
}

static inline __m512d log_pd(__m512d x)
{
    const __m512i sqrt_half = _mm512_set1_epi64((int64_t)WI_D_SQRT_HALF_BITS);
    __m512i ix = _mm512_sub_epi64(_mm512_castpd_si512(x), sqrt_half);
    __m512i e = _mm512_srai_epi64(ix, 52);
    __m512d m = _mm512_castsi512_pd(
        _mm512_add_epi64(_mm512_and_si512(ix, _mm512_set1_epi64(0x000FFFFFFFFFFFFFll)), sqrt_half));
    __m512d f = _mm512_sub_pd(m, _mm512_set1_pd(1.0));
    __m512d s = _mm512_div_pd(f, _mm512_add_pd(_mm512_set1_pd(2.0), f));
    __m512d z = _mm512_mul_pd(s, s);
    __m512d q = _mm512_set1_pd(wi_d_log_c[0]);
    for (int i = 1; i < 11; i++)
        q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(wi_d_log_c[i]));
    __m512d hs = _mm512_add_pd(s, s);
    __m512d logm = _mm512_fmadd_pd(_mm512_mul_pd(hs, z), q, hs);
    return _mm512_fmadd_pd(_mm512_cvtepi64_pd(e), _mm512_set1_pd(WI_D_LN2), logm);
}

static inline void normal_pd(const wi_params *p, __m512i xw, __m512i yw, __m512d *zc, __m512d *zs)
{
    __m512d u1 = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(xw, 12)), _mm512_set1_pd(0.5)),
                               _mm512_set1_pd(0x1p-52));
    __m512d rad = _mm512_sqrt_pd(_mm512_mul_pd(_mm512_set1_pd(-2.0), log_pd(u1)));

    __m512i k = _mm512_and_si512(_mm512_srli_epi64(yw, 8), _mm512_set1_epi64(0x1FFFFFFFFFFFFFll));
    __m512d t = _mm512_mul_pd(_mm512_cvtepu64_pd(k), _mm512_set1_pd(WI_D_QUARTER_PI_2M53));
    __m512d t2 = _mm512_mul_pd(t, t);
    __m512d ps = _mm512_set1_pd(wi_d_sin_c[0]);
    for (int i = 1; i < 8; i++)
        ps = _mm512_fmadd_pd(ps, t2, _mm512_set1_pd(wi_d_sin_c[i]));
    __m512d s = _mm512_fmadd_pd(_mm512_mul_pd(t, t2), ps, t);
    __m512d pc = _mm512_set1_pd(wi_d_cos_c[0]);
    for (int i = 1; i < 9; i++)
        pc = _mm512_fmadd_pd(pc, t2, _mm512_set1_pd(wi_d_cos_c[i]));
    __m512d c = _mm512_fmadd_pd(t2, pc, _mm512_set1_pd(1.0));

    const __m512i sign = _mm512_set1_epi64((int64_t)0x8000000000000000ull);
    __mmask8 swap = _mm512_test_epi64_mask(yw, _mm512_set1_epi64(1ll << 61));
    __m512i cv = _mm512_ternarylogic_epi64(_mm512_castpd_si512(_mm512_mask_blend_pd(swap, c, s)), yw, sign, 0x78);
    __m512i sv = _mm512_ternarylogic_epi64(_mm512_castpd_si512(_mm512_mask_blend_pd(swap, s, c)),
                                           _mm512_slli_epi64(yw, 1), sign, 0x78);

    __m512d rs = _mm512_mul_pd(rad, _mm512_set1_pd(p->width64)), mean = _mm512_set1_pd(p->lo64);
    *zc = _mm512_fmadd_pd(rs, _mm512_castsi512_pd(cv), mean);
    *zs = _mm512_fmadd_pd(rs, _mm512_castsi512_pd(sv), mean);
}

static inline void uniform_f64x2(const keys512 *k, const wi_params *p, uint64_t g, __m512d v[4])
{
    __m512i x0, y0, x1, y1;
    philox_2groups(k, g, &x0, &y0, &x1, &y1);
    v[0] = uniform_pd(p, x0);
    v[1] = uniform_pd(p, y0);
    v[2] = uniform_pd(p, x1);
    v[3] = uniform_pd(p, y1);
}

static inline void normal_f64x2(const keys512 *k, const wi_params *p, uint64_t g, __m512d v[4])
{
    __m512i x0, y0, x1, y1;
    philox_2groups(k, g, &x0, &y0, &x1, &y1);
    normal_pd(p, x0, y0, &v[0], &v[1]);
    normal_pd(p, x1, y1, &v[2], &v[3]);
}

/* ---- trunc normal (float64 modes) ---- */

static inline __m512d horner_pd(const double *c, int n, __m512d x)
{
    __m512d acc = _mm512_set1_pd(c[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        acc = _mm512_fmadd_pd(acc, x, _mm512_set1_pd(c[i]));
    return acc;
}

/* the tail rational: coefficients of tail 1 (r <= R1) or tail 2, per lane */
static inline __m512d horner_tail_pd(const double *c1, const double *c2, __mmask8 first, __m512d x)
{
    __m512d acc = _mm512_mask_blend_pd(first, _mm512_set1_pd(c2[WI_D_TQ_TN - 1]), _mm512_set1_pd(c1[WI_D_TQ_TN - 1]));
    for (int i = WI_D_TQ_TN - 2; i >= 0; i--)
        acc = _mm512_fmadd_pd(acc, x, _mm512_mask_blend_pd(first, _mm512_set1_pd(c2[i]), _mm512_set1_pd(c1[i])));
    return acc;
}

static inline __m512d quantile_pd(__m512d s)
{
    __m512d r = _mm512_sqrt_pd(_mm512_mul_pd(_mm512_set1_pd(-2.0), log_pd(s)));
    __m512d t = _mm512_sub_pd(_mm512_set1_pd(0.5), s), z = _mm512_mul_pd(t, t);
    __mmask8 central = _mm512_cmp_pd_mask(s, _mm512_set1_pd(WI_D_TQ_S0), _CMP_GE_OQ);
    __mmask8 first = _mm512_cmp_pd_mask(r, _mm512_set1_pd(WI_D_TQ_R1), _CMP_LE_OQ);
    __m512d xt = _mm512_mask_blend_pd(
        first, _mm512_mul_pd(_mm512_sub_pd(r, _mm512_set1_pd(WI_D_TQ_R1)), _mm512_set1_pd(WI_D_TQ_XS)), r);
    __m512d num = _mm512_mask_blend_pd(central, horner_tail_pd(wi_d_tq_t1n, wi_d_tq_t2n, first, xt),
                                       horner_pd(wi_d_tq_cn, WI_D_TQ_CN, z));
    __m512d den = _mm512_mask_blend_pd(central, horner_tail_pd(wi_d_tq_t1d, wi_d_tq_t2d, first, xt),
                                       horner_pd(wi_d_tq_cd, WI_D_TQ_CN, z));
    return _mm512_mul_pd(_mm512_mask_blend_pd(central, _mm512_set1_pd(1.0), t), _mm512_div_pd(num, den));
}

static inline __m512d clamp_pd(const wi_params *p, __m512d v)
{
    return _mm512_min_pd(_mm512_max_pd(v, _mm512_set1_pd(p->tlo64)), _mm512_set1_pd(p->thi64));
}

static inline __m512d trunc_pd(const wi_params *p, __m512i w)
{
    const __m512d scale = _mm512_set1_pd(0x1p-52), half = _mm512_set1_pd(0.5);
    __m512d u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(w, 12)), half), scale);
    __m512i nw = _mm512_xor_si512(w, _mm512_set1_epi64(-1));
    __m512d v = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(nw, 12)), half), scale);
    __m512d mass = _mm512_set1_pd(p->tmass64);
    __m512d lower = _mm512_fmadd_pd(u, mass, _mm512_set1_pd(p->tpa64));
    __m512d upper = _mm512_fmadd_pd(v, mass, _mm512_set1_pd(p->tqb64));
    __mmask8 left = _mm512_cmp_pd_mask(lower, upper, _CMP_LE_OQ);
    __m512d x = quantile_pd(_mm512_mask_blend_pd(left, upper, lower));
    x = _mm512_mask_xor_pd(x, left, x, _mm512_set1_pd(-0.0));
    return clamp_pd(p, _mm512_fmadd_pd(x, _mm512_set1_pd(p->width64), _mm512_set1_pd(p->lo64)));
}

static inline void trunc_f64x2(const keys512 *k, const wi_params *p, uint64_t g, __m512d v[4])
{
    if (p->tmode == WI_TM_NORMAL) {
        normal_f64x2(k, p, g, v);
        for (int i = 0; i < 4; i++)
            v[i] = clamp_pd(p, v[i]);
        return;
    }
    __m512i x0, y0, x1, y1;
    philox_2groups(k, g, &x0, &y0, &x1, &y1);
    v[0] = trunc_pd(p, x0);
    v[1] = trunc_pd(p, y0);
    v[2] = trunc_pd(p, x1);
    v[3] = trunc_pd(p, y1);
}

static inline void store_f64(double *o, __m512d v, int nt)
{
    if (nt)
        _mm512_stream_pd(o, v);
    else
        _mm512_storeu_pd(o, v);
}

#define GROUPS64(NAME, VALUES)                                                                \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out)              \
    {                                                                                          \
        keys512 k;                                                                             \
        double *o = out;                                                                       \
        int nt = p->nontemporal && ((uintptr_t)out & 63) == 0;                                 \
        keys_init(&k, p);                                                                      \
        for (size_t i = 0; i < count; i += 2, o += 2 * WI_GROUP64) {                           \
            __m512d v[4];                                                                      \
            VALUES(&k, p, group + i, v);                                                       \
            store_f64(o, v[0], nt);                                                            \
            store_f64(o + 8, v[1], nt);                                                        \
            if (i + 1 < count) {                                                               \
                store_f64(o + 16, v[2], nt);                                                   \
                store_f64(o + 24, v[3], nt);                                                   \
            }                                                                                  \
        }                                                                                      \
        if (nt)                                                                                \
            _mm_sfence();                                                                      \
    }

GROUPS64(avx512_uniform_f64, uniform_f64x2)
GROUPS64(avx512_normal_f64, normal_f64x2)
GROUPS64(avx512_trunc_f64, trunc_f64x2)

WI_DEFINE_TABLE(wi_kernels_avx512, "avx512", avx512);
