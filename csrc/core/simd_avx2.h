/* AVX2 + FMA + F16C primitives for kernels_driver.h: 8 float32 or 4 float64
 * lanes per ymm register, masks as all-ones lanes.
 * Defines: the driver's whole primitive set (listed in kernels_driver.h),
 * WI_INFLIGHT 4; helpers store_256, bf16_bits (integer rounding).
 *
 * Philox: a group's 8 blocks are two halves of 4 blocks, each a pair of ymm
 * registers (A = c0 | c1 << 32, B = c2 | c3 << 32).  AVX2 lacks unsigned
 * and 64-bit integer conversions and 64-bit arithmetic shifts, so those are
 * rebuilt from exact pieces.  Included only by units compiled with these
 * ISA flags; dispatch.c calls them after checking the CPU and OS. */
#ifndef WI_SIMD_AVX2_H
#define WI_SIMD_AVX2_H

#include <immintrin.h>

#include "kernels.h"
#include "philox.h"

#define WI_L32 8
#define WI_L64 4
#ifndef WI_INFLIGHT
#define WI_INFLIGHT 4 /* measured on Zen 4: 4 and 8 alike, 2 slower, 1 slower still */
#endif

typedef __m256 vf;
typedef __m256i vu;
typedef __m256d vd;
typedef __m256i vq;
typedef __m256 mf;
typedef __m256d md;

/* ---- Philox ---- */

typedef struct {
    __m256i k0[WI_PHILOX_ROUNDS], k1[WI_PHILOX_ROUNDS]; /* round keys in the high 32 bits of each lane */
    __m256i stream;
} wi_keys;

static inline void keys_init(wi_keys *k, const wi_params *p)
{
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++) {
        k->k0[r] = _mm256_set1_epi64x((int64_t)((uint64_t)p->keys.k0[r] << 32));
        k->k1[r] = _mm256_set1_epi64x((int64_t)((uint64_t)p->keys.k1[r] << 32));
    }
    k->stream = _mm256_set1_epi64x((int64_t)p->stream);
}

/* Words of groups g .. g + n - 1: xw[i][h], yw[i][h] hold blocks 8(g + i) + 4h .. + 3.
 * A round: new A = swap32(lo(P1) | (hi(P1) ^ c1 ^ k0) << 32), likewise B from P0. */
static WI_ALWAYS_INLINE void philox(const wi_keys *k, uint64_t g, int n, vu xw[][WI_VPG32], vu yw[][WI_VPG32])
{
    const __m256i m0 = _mm256_set1_epi64x(WI_PHILOX_M0), m1 = _mm256_set1_epi64x(WI_PHILOX_M1);
    __m256i a[2 * WI_INFLIGHT], b[2 * WI_INFLIGHT];
    __m256i a0 = _mm256_add_epi64(_mm256_set1_epi64x((int64_t)(8 * g)), _mm256_set_epi64x(3, 2, 1, 0));
    WI_UNROLL
    for (int i = 0; i < 2 * n; i++) {
        a[i] = _mm256_add_epi64(a0, _mm256_set1_epi64x(4 * i));
        b[i] = k->stream;
    }
    WI_UNROLL
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++) {
        WI_UNROLL
        for (int i = 0; i < 2 * n; i++) {
            __m256i p0 = _mm256_mul_epu32(a[i], m0), p1 = _mm256_mul_epu32(b[i], m1);
            a[i] = _mm256_shuffle_epi32(
                _mm256_blend_epi32(p1, _mm256_xor_si256(_mm256_xor_si256(p1, a[i]), k->k0[r]), 0xAA), 0xB1);
            b[i] = _mm256_shuffle_epi32(
                _mm256_blend_epi32(p0, _mm256_xor_si256(_mm256_xor_si256(p0, b[i]), k->k1[r]), 0xAA), 0xB1);
        }
    }
    WI_UNROLL
    for (int i = 0; i < n; i++) {
        xw[i][0] = a[2 * i];
        xw[i][1] = a[2 * i + 1];
        yw[i][0] = b[2 * i];
        yw[i][1] = b[2 * i + 1];
    }
}

static inline vq q_words(const vu *w, int h) { return w[h]; }

/* ---- float32 lanes ---- */

static inline vf f_set(float x) { return _mm256_set1_ps(x); }
static inline vf f_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf f_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf f_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf f_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf f_sqrt(vf a) { return _mm256_sqrt_ps(a); }
static inline vf f_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf f_min(vf a, vf b) { return _mm256_min_ps(a, b); } /* a < b ? a : b */
static inline vf f_max(vf a, vf b) { return _mm256_max_ps(a, b); } /* a > b ? a : b */
static inline vf f_from_i32(vu x) { return _mm256_cvtepi32_ps(x); }
static inline vf f_from_u32(vu x) /* rounded once: both halves are exact, so is hi * 2^16 */
{
    vf hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(x, 16)), _mm256_set1_ps(65536.0f));
    return _mm256_add_ps(hi, _mm256_cvtepi32_ps(_mm256_and_si256(x, _mm256_set1_epi32(0xFFFF))));
}
static inline vu f_bits(vf a) { return _mm256_castps_si256(a); }
static inline vf f_from_bits(vu x) { return _mm256_castsi256_ps(x); }
static inline mf f_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline mf f_le(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline vf f_sel(mf m, vf t, vf f) { return _mm256_blendv_ps(f, t, m); }
static inline vf f_neg_where(mf m, vf x) { return _mm256_xor_ps(x, _mm256_and_ps(m, _mm256_set1_ps(-0.0f))); }

static inline vu u_set(uint32_t x) { return _mm256_set1_epi32((int)x); }
static inline vu u_add(vu a, vu b) { return _mm256_add_epi32(a, b); }
static inline vu u_sub(vu a, vu b) { return _mm256_sub_epi32(a, b); }
static inline vu u_and(vu a, vu b) { return _mm256_and_si256(a, b); }
static inline vu u_xor(vu a, vu b) { return _mm256_xor_si256(a, b); }
static inline vu u_not(vu a) { return _mm256_xor_si256(a, _mm256_set1_epi32(-1)); }
static inline vu u_xor_and(vu x, vu y, vu m) { return _mm256_xor_si256(x, _mm256_and_si256(y, m)); }
#define u_srl(x, n) _mm256_srli_epi32(x, n)
#define u_sll(x, n) _mm256_slli_epi32(x, n)
#define u_sra(x, n) _mm256_srai_epi32(x, n)
/* lanes where bit n is set */
#define u_bit(x, n) _mm256_castsi256_ps(_mm256_srai_epi32(_mm256_slli_epi32(x, 31 - (n)), 31))

/* ---- float64 lanes ---- */

#define WI_MAGIC52 0x4330000000000000ll /* the bits of 2^52 */

static inline vd d_set(double x) { return _mm256_set1_pd(x); }
static inline vd d_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd d_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
static inline vd d_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd d_div(vd a, vd b) { return _mm256_div_pd(a, b); }
static inline vd d_sqrt(vd a) { return _mm256_sqrt_pd(a); }
static inline vd d_fma(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
static inline vd d_min(vd a, vd b) { return _mm256_min_pd(a, b); }
static inline vd d_max(vd a, vd b) { return _mm256_max_pd(a, b); }
static inline vd d_from_u52(vq x) /* x < 2^52: exact, through the bits of 2^52 + x */
{
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(x, _mm256_set1_epi64x(WI_MAGIC52))),
                         _mm256_set1_pd(0x1p52));
}
static inline vd d_from_u53(vq x) /* x < 2^53: hi (21 bits) * 2^32 + lo (32 bits), exactly */
{
    vd hi = d_from_u52(_mm256_srli_epi64(x, 32));
    vd lo = d_from_u52(_mm256_and_si256(x, _mm256_set1_epi64x(0xFFFFFFFFll)));
    return _mm256_add_pd(_mm256_mul_pd(hi, _mm256_set1_pd(0x1p32)), lo);
}
static inline vd d_from_top12(vq x) /* (int64)x >> 52: the top 12 bits as a signed number */
{
    vd eu = d_from_u52(_mm256_srli_epi64(x, 52));
    vd wrap = _mm256_and_pd(_mm256_cmp_pd(eu, _mm256_set1_pd(2048.0), _CMP_GE_OQ), _mm256_set1_pd(4096.0));
    return _mm256_sub_pd(eu, wrap);
}
static inline vq d_bits(vd a) { return _mm256_castpd_si256(a); }
static inline vd d_from_bits(vq x) { return _mm256_castsi256_pd(x); }
static inline md d_ge(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
static inline md d_le(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
static inline md d_eq(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
static inline vd d_sel(md m, vd t, vd f) { return _mm256_blendv_pd(f, t, m); }
static inline vd d_neg_where(md m, vd x) { return _mm256_xor_pd(x, _mm256_and_pd(m, _mm256_set1_pd(-0.0))); }

static inline vq q_set(uint64_t x) { return _mm256_set1_epi64x((int64_t)x); }
static inline vq q_add(vq a, vq b) { return _mm256_add_epi64(a, b); }
static inline vq q_sub(vq a, vq b) { return _mm256_sub_epi64(a, b); }
static inline vq q_and(vq a, vq b) { return _mm256_and_si256(a, b); }
static inline vq q_xor(vq a, vq b) { return _mm256_xor_si256(a, b); }
static inline vq q_not(vq a) { return _mm256_xor_si256(a, _mm256_set1_epi64x(-1)); }
static inline vq q_xor_and(vq x, vq y, vq m) { return _mm256_xor_si256(x, _mm256_and_si256(y, m)); }
#define q_srl(x, n) _mm256_srli_epi64(x, n)
#define q_sll(x, n) _mm256_slli_epi64(x, n)
#define q_bit(x, n) _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_setzero_si256(), _mm256_slli_epi64(x, 63 - (n))))

/* ---- stores: a group's vectors in memory order ---- */

static inline void store_f32(float *o, vf v, int nt)
{
    if (nt)
        _mm256_stream_ps(o, v);
    else
        _mm256_storeu_ps(o, v);
}

static inline void store_f64(double *o, vd v, int nt)
{
    if (nt)
        _mm256_stream_pd(o, v);
    else
        _mm256_storeu_pd(o, v);
}

static inline void store_256(uint16_t *o, __m256i h, int nt)
{
    if (nt)
        _mm256_stream_si256((__m256i *)o, h);
    else
        _mm256_storeu_si256((__m256i *)o, h);
}

static inline void store_f16_group(uint16_t *o, const vf v[4], int nt)
{
    for (int h = 0; h < 4; h += 2) {
        __m128i lo = _mm256_cvtps_ph(v[h], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m128i hi = _mm256_cvtps_ph(v[h + 1], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        store_256(o + 8 * h, _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), nt);
    }
}

/* round to nearest even in integers, NaN quieted (wi_f32_to_bf16), in the low 16 bits */
static inline __m256i bf16_bits(vf v)
{
    __m256i x = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    /* NaN: |x| > inf as signed integers (|x| < 2^31) */
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(r, quiet, nan);
}

static inline void store_bf16_group(uint16_t *o, const vf v[4], int nt)
{
    for (int h = 0; h < 4; h += 2) /* packus interleaves 128-bit lanes; the permute restores the order */
        store_256(o + 8 * h, _mm256_permute4x64_epi64(_mm256_packus_epi32(bf16_bits(v[h]), bf16_bits(v[h + 1])), 0xD8),
                  nt);
}

static inline void store_fence(int nt)
{
    if (nt)
        _mm_sfence();
}

#endif
