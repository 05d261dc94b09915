/* AVX-512 (F, DQ, BW, VL) primitives for kernels_driver.h: 16 float32 or 8
 * float64 lanes per zmm register, masks in k registers.
 * Defines: the driver's whole primitive set (listed in kernels_driver.h),
 * WI_INFLIGHT 8; helpers store_512, bf16_bits (integer rounding),
 * bf16_group_int and, with WI_AVX512_BF16, bf16_group_hw.
 *
 * Philox keeps the state of a block in two 64-bit lanes, A = c0 | c1 << 32
 * and B = c2 | c3 << 32, so one vpmuludq gives a whole 32x32->64 product and
 * a masked ternary-logic XOR plus a 32-bit swap finish a round; a group's 8
 * blocks are one (A, B) pair, and A read as 32-bit words is the group's xw.
 * A round is a dependent chain of ~7 cycles, so WI_INFLIGHT groups run
 * interleaved.  Where zmm multiplies issue twice per cycle, 8 groups reach
 * ~94 % of the issue bound (issue 12); on this project's Zen 5 machines they
 * issue once per cycle (as do zmm FMAs), and Philox peaks at 3.65 G words/s
 * per core with 8 groups, 3.4 G with 4 (tools/ceiling.py measures both).
 *
 * With WI_AVX512_BF16 (kernels_avx512bf16.c, built with -mavx512bf16)
 * bfloat16 groups are rounded by VCVTNE2PS2BF16, which equals
 * round-to-nearest-even except that it flushes float32 denormal inputs:
 * groups holding one (VFPCLASSPS) take the integer rounding instead.
 * Included only by units compiled with these ISA flags; dispatch.c calls
 * them after checking the CPU and OS. */
#ifndef WI_SIMD_AVX512_H
#define WI_SIMD_AVX512_H

#include <immintrin.h>

#include "kernels.h"
#include "philox.h"

#define WI_L32 16
#define WI_L64 8
#ifndef WI_INFLIGHT
#define WI_INFLIGHT 8
#endif

typedef __m512 vf;
typedef __m512i vu;
typedef __m512d vd;
typedef __m512i vq;
typedef __mmask16 mf;
typedef __mmask8 md;

/* ---- Philox ---- */

typedef struct {
    __m512i k0[WI_PHILOX_ROUNDS], k1[WI_PHILOX_ROUNDS]; /* round keys in the high 32 bits of each lane */
    __m512i stream;
} wi_keys;

static inline void keys_init(wi_keys *k, const wi_params *p)
{
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++) {
        k->k0[r] = _mm512_set1_epi64((int64_t)((uint64_t)p->keys.k0[r] << 32));
        k->k1[r] = _mm512_set1_epi64((int64_t)((uint64_t)p->keys.k1[r] << 32));
    }
    k->stream = _mm512_set1_epi64((int64_t)p->stream);
}

/* Half a round: x = swap32(lo(P) | (hi(P) ^ x_hi ^ key) << 32).  A round
 * takes A from P1 = M1 c2 (B's product) and B from P0 = M0 c0 (A's). */
static WI_ALWAYS_INLINE __m512i philox_half(__m512i p, __m512i x, __m512i key)
{
    return _mm512_shuffle_epi32(_mm512_mask_ternarylogic_epi32(p, 0xAAAA, x, key, 0x96), _MM_PERM_CDAB);
}

/* Rounds from..9 of n groups. */
static WI_ALWAYS_INLINE void philox_rounds(const wi_keys *k, int from, int n, __m512i *a, __m512i *b)
{
    const __m512i m0 = _mm512_set1_epi64(WI_PHILOX_M0), m1 = _mm512_set1_epi64(WI_PHILOX_M1);
    WI_UNROLL
    for (int r = from; r < WI_PHILOX_ROUNDS; r++) {
        WI_UNROLL
        for (int i = 0; i < n; i++) {
            __m512i p0 = _mm512_mul_epu32(a[i], m0), p1 = _mm512_mul_epu32(b[i], m1);
            a[i] = philox_half(p1, a[i], k->k0[r]);
            b[i] = philox_half(p0, b[i], k->k1[r]);
        }
    }
}

/* Words of groups g .. g + n - 1.  Every block starts with the stream in
 * c2, c3, so round 0's P1 is one vector; when the blocks also share the
 * counter's high word c1 (all but a batch crossing block 2^32), round 0
 * leaves one A for them all, and round 1's P0 is one vector too.  The same
 * rounds, with 4 of a group's 60 operations (2 of its 20 multiplies) done
 * once per batch: +10 % for uniform fills on Zen 5, where a zmm multiply
 * issues once per cycle. */
static WI_ALWAYS_INLINE void philox(const wi_keys *k, uint64_t g, int n, vu xw[][WI_VPG32], vu yw[][WI_VPG32])
{
    const __m512i m0 = _mm512_set1_epi64(WI_PHILOX_M0), m1 = _mm512_set1_epi64(WI_PHILOX_M1);
    __m512i a[WI_INFLIGHT], b[WI_INFLIGHT];
    __m512i a0 = _mm512_add_epi64(_mm512_set1_epi64((int64_t)(8 * g)), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
    WI_UNROLL
    for (int i = 0; i < n; i++) {
        a[i] = _mm512_add_epi64(a0, _mm512_set1_epi64(8 * i));
        b[i] = k->stream;
    }
    if ((8 * g) >> 32 == (8 * (g + (uint64_t)n) - 1) >> 32) {
        __m512i p1 = _mm512_mul_epu32(k->stream, m1);
        __m512i a1 = philox_half(p1, a0, k->k0[0]); /* every block's A after round 0 */
        __m512i p0 = _mm512_mul_epu32(a1, m0);      /* and round 1's P0 */
        WI_UNROLL
        for (int i = 0; i < n; i++) {
            __m512i b1 = philox_half(_mm512_mul_epu32(a[i], m0), b[i], k->k1[0]);
            a[i] = philox_half(_mm512_mul_epu32(b1, m1), a1, k->k0[1]);
            b[i] = philox_half(p0, b1, k->k1[1]);
        }
        philox_rounds(k, 2, n, a, b);
    } else {
        philox_rounds(k, 0, n, a, b);
    }
    WI_UNROLL
    for (int i = 0; i < n; i++) {
        xw[i][0] = a[i];
        yw[i][0] = b[i];
    }
}

static inline vq q_words(const vu *w, int h) { return w[h]; }

/* ---- float32 lanes ---- */

static inline vf f_set(float x) { return _mm512_set1_ps(x); }
static inline vf f_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf f_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf f_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf f_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf f_sqrt(vf a) { return _mm512_sqrt_ps(a); }
static inline vf f_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf f_min(vf a, vf b) { return _mm512_min_ps(a, b); } /* a < b ? a : b */
static inline vf f_max(vf a, vf b) { return _mm512_max_ps(a, b); } /* a > b ? a : b */
static inline vf f_from_i32(vu x) { return _mm512_cvtepi32_ps(x); }
static inline vf f_from_u32(vu x) { return _mm512_cvtepu32_ps(x); }
static inline vu f_bits(vf a) { return _mm512_castps_si512(a); }
static inline vf f_from_bits(vu x) { return _mm512_castsi512_ps(x); }
static inline mf f_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline mf f_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline vf f_sel(mf m, vf t, vf f) { return _mm512_mask_blend_ps(m, f, t); }
static inline vf f_neg_where(mf m, vf x) { return _mm512_mask_xor_ps(x, m, x, _mm512_set1_ps(-0.0f)); }

static inline vu u_set(uint32_t x) { return _mm512_set1_epi32((int)x); }
static inline vu u_add(vu a, vu b) { return _mm512_add_epi32(a, b); }
static inline vu u_sub(vu a, vu b) { return _mm512_sub_epi32(a, b); }
static inline vu u_and(vu a, vu b) { return _mm512_and_si512(a, b); }
static inline vu u_xor(vu a, vu b) { return _mm512_xor_si512(a, b); }
/* NOT as a ternary-logic op on its own register: GCC 12 compiles x ^ ~0 to
 * vpternlogd with x from memory and a stale register as destination, a false
 * dependency that chained a trunc_normal_ loop's iterations (-33 % there) */
static inline vu u_not(vu a) { return _mm512_ternarylogic_epi32(a, a, a, 0x55); }
static inline vu u_xor_and(vu x, vu y, vu m) { return _mm512_ternarylogic_epi32(x, y, m, 0x78); } /* x ^ (y & m) */
#define u_srl(x, n) _mm512_srli_epi32(x, n)
#define u_sll(x, n) _mm512_slli_epi32(x, n)
#define u_sra(x, n) _mm512_srai_epi32(x, n)
#define u_bit(x, n) _mm512_test_epi32_mask(x, _mm512_set1_epi32((int)(1u << (n)))) /* lanes where bit n is set */

/* ---- float64 lanes ---- */

static inline vd d_set(double x) { return _mm512_set1_pd(x); }
static inline vd d_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd d_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
static inline vd d_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd d_div(vd a, vd b) { return _mm512_div_pd(a, b); }
static inline vd d_sqrt(vd a) { return _mm512_sqrt_pd(a); }
static inline vd d_fma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
static inline vd d_min(vd a, vd b) { return _mm512_min_pd(a, b); }
static inline vd d_max(vd a, vd b) { return _mm512_max_pd(a, b); }
static inline vd d_from_u52(vq x) { return _mm512_cvtepu64_pd(x); } /* x < 2^52: exact */
static inline vd d_from_u53(vq x) { return _mm512_cvtepu64_pd(x); } /* x < 2^53: exact */
static inline vd d_from_top12(vq x) { return _mm512_cvtepi64_pd(_mm512_srai_epi64(x, 52)); } /* (int64)x >> 52 */
static inline vq d_bits(vd a) { return _mm512_castpd_si512(a); }
static inline vd d_from_bits(vq x) { return _mm512_castsi512_pd(x); }
static inline md d_ge(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
static inline md d_le(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
static inline md d_eq(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
static inline vd d_sel(md m, vd t, vd f) { return _mm512_mask_blend_pd(m, f, t); }
static inline vd d_neg_where(md m, vd x) { return _mm512_mask_xor_pd(x, m, x, _mm512_set1_pd(-0.0)); }

static inline vq q_set(uint64_t x) { return _mm512_set1_epi64((int64_t)x); }
static inline vq q_add(vq a, vq b) { return _mm512_add_epi64(a, b); }
static inline vq q_sub(vq a, vq b) { return _mm512_sub_epi64(a, b); }
static inline vq q_and(vq a, vq b) { return _mm512_and_si512(a, b); }
static inline vq q_xor(vq a, vq b) { return _mm512_xor_si512(a, b); }
static inline vq q_not(vq a) { return _mm512_ternarylogic_epi64(a, a, a, 0x55); } /* as u_not */
static inline vq q_xor_and(vq x, vq y, vq m) { return _mm512_ternarylogic_epi64(x, y, m, 0x78); }
#define q_srl(x, n) _mm512_srli_epi64(x, n)
#define q_sll(x, n) _mm512_slli_epi64(x, n)
#define q_bit(x, n) _mm512_test_epi64_mask(x, _mm512_set1_epi64((long long)(1ull << (n))))

/* ---- stores: a group's vectors in memory order ---- */

static inline void store_f32(float *o, vf v, int nt)
{
    if (nt)
        _mm512_stream_ps(o, v);
    else
        _mm512_storeu_ps(o, v);
}

static inline void store_f64(double *o, vd v, int nt)
{
    if (nt)
        _mm512_stream_pd(o, v);
    else
        _mm512_storeu_pd(o, v);
}

static inline void store_512(uint16_t *o, __m512i h, int nt)
{
    if (nt)
        _mm512_stream_si512((void *)o, h);
    else
        _mm512_storeu_si512(o, h);
}

static inline void store_f16_group(uint16_t *o, const vf v[2], int nt)
{
    __m256i lo = _mm512_cvtps_ph(v[0], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256i hi = _mm512_cvtps_ph(v[1], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    store_512(o, _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), nt);
}

/* round to nearest even in integers, NaN quieted (wi_f32_to_bf16), in the low 16 bits */
static inline __m512i bf16_bits(vf v)
{
    __m512i x = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)),
                                            _mm512_set1_epi32(0x7F800000));
    return _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x40));
}

/* the integer rounding of 32 values: the even 16-bit words of both vectors */
static inline __m512i bf16_group_int(const vf v[2])
{
    const __m512i even = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                          30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_epi16(bf16_bits(v[0]), even, bf16_bits(v[1]));
}

#ifdef WI_AVX512_BF16
/* VCVTNE2PS2BF16 where no input is a float32 denormal (which it would flush) */
static inline __m512i bf16_group_hw(const vf v[2])
{
    if (_mm512_fpclass_ps_mask(v[0], 0x20) | _mm512_fpclass_ps_mask(v[1], 0x20)) /* 0x20: denormal */
        return bf16_group_int(v);
    return (__m512i)_mm512_cvtne2ps_pbh(v[1], v[0]);
}
#define bf16_group bf16_group_hw
#else
#define bf16_group bf16_group_int
#endif

static inline void store_bf16_group(uint16_t *o, const vf v[2], int nt) { store_512(o, bf16_group(v), nt); }

static inline void store_fence(int nt)
{
    if (nt)
        _mm_sfence();
}

#endif
