/* AArch64 Advanced SIMD (NEON) primitives for kernels_driver.h: 4 float32
 * or 2 float64 lanes per q register, masks as all-ones lanes.
 * Defines: the driver's whole primitive set (listed in kernels_driver.h),
 * WI_INFLIGHT 2, keys as wi_keys_words; helpers mul_wide, bf16_pair.
 *
 * Philox keeps each counter word of 4 blocks in its own register (c0..c3):
 * vmull_u32/vmull_high_u32 give the 32x32->64 products, vuzp1q/vuzp2q their
 * low and high words; a group's words are interleaved (vzip1q/vzip2q) into
 * the layout of kernels.h at the end.  A round is a chain of ~10 cycles
 * (multiply, unzip, two XORs) over 12 operations per 4 blocks, so 2 groups in
 * flight (16 registers of state) cover it on cores with 2 to 4 SIMD pipes
 * (not measured: there is no arm64 machine here; see README).
 *
 * min/max: the driver means the x86 operand order, a < b ? a : b, which
 * also fixes what NaN and signed zeros give; vminq_f32 (NaN if either is
 * NaN) and vminnmq_f32 (the number) differ from it, so min and max are a
 * comparison and a bit select.  fma is vfmaq (fused, as on x86).  Only
 * NaN *results* made from infinite parameters (inf * 0) can differ from x86:
 * the default NaN is positive here and negative there. */
#ifndef WI_SIMD_NEON_H
#define WI_SIMD_NEON_H

#include <arm_neon.h>

#include "kernels.h"
#include "philox.h"

#define WI_L32 4
#define WI_L64 2
#ifndef WI_INFLIGHT
#define WI_INFLIGHT 2
#endif

typedef float32x4_t vf;
typedef uint32x4_t vu;
typedef float64x2_t vd;
typedef uint64x2_t vq;
typedef uint32x4_t mf;
typedef uint64x2_t md;

/* ---- Philox ---- */

typedef wi_keys_words wi_keys;
#define keys_init wi_keys_words_init

/* high and low words of the products a * m */
static inline void mul_wide(uint32x4_t a, uint32x4_t m, uint32x4_t *hi, uint32x4_t *lo)
{
    uint32x4_t p01 = vreinterpretq_u32_u64(vmull_u32(vget_low_u32(a), vget_low_u32(m)));
    uint32x4_t p23 = vreinterpretq_u32_u64(vmull_high_u32(a, m));
    *hi = vuzp2q_u32(p01, p23);
    *lo = vuzp1q_u32(p01, p23);
}

/* Words of groups g .. g + n - 1; set j holds blocks 8g + 4j .. + 3 (8g + 4j
 * is a multiple of 4, so the low counter word never carries within a set). */
static WI_ALWAYS_INLINE void philox(const wi_keys *k, uint64_t g, int n, vu xw[][WI_VPG32], vu yw[][WI_VPG32])
{
    const uint32x4_t m0 = vdupq_n_u32(WI_PHILOX_M0), m1 = vdupq_n_u32(WI_PHILOX_M1);
    const uint32_t iota_[4] = {0, 1, 2, 3};
    const uint32x4_t iota = vld1q_u32(iota_);
    uint32x4_t c0[2 * WI_INFLIGHT], c1[2 * WI_INFLIGHT], c2[2 * WI_INFLIGHT], c3[2 * WI_INFLIGHT];
    WI_UNROLL
    for (int j = 0; j < 2 * n; j++) {
        uint64_t base = 8 * g + 4 * (uint64_t)j;
        c0[j] = vaddq_u32(vdupq_n_u32((uint32_t)base), iota);
        c1[j] = vdupq_n_u32((uint32_t)(base >> 32));
        c2[j] = vdupq_n_u32(k->s0);
        c3[j] = vdupq_n_u32(k->s1);
    }
    WI_UNROLL
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++) {
        const uint32x4_t k0 = vdupq_n_u32(k->k0[r]), k1 = vdupq_n_u32(k->k1[r]);
        WI_UNROLL
        for (int j = 0; j < 2 * n; j++) {
            uint32x4_t hi0, lo0, hi1, lo1;
            mul_wide(c0[j], m0, &hi0, &lo0);
            mul_wide(c2[j], m1, &hi1, &lo1);
            c0[j] = veorq_u32(veorq_u32(hi1, c1[j]), k0);
            c2[j] = veorq_u32(veorq_u32(hi0, c3[j]), k1);
            c1[j] = lo1;
            c3[j] = lo0;
        }
    }
    WI_UNROLL
    for (int i = 0; i < n; i++) {
        WI_UNROLL
        for (int s = 0; s < 2; s++) {
            int j = 2 * i + s;
            xw[i][2 * s] = vzip1q_u32(c0[j], c1[j]);
            xw[i][2 * s + 1] = vzip2q_u32(c0[j], c1[j]);
            yw[i][2 * s] = vzip1q_u32(c2[j], c3[j]);
            yw[i][2 * s + 1] = vzip2q_u32(c2[j], c3[j]);
        }
    }
}

static inline vq q_words(const vu *w, int h) { return vreinterpretq_u64_u32(w[h]); }

/* ---- float32 lanes ---- */

static inline vf f_set(float x) { return vdupq_n_f32(x); }
static inline vf f_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf f_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf f_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf f_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf f_sqrt(vf a) { return vsqrtq_f32(a); }
static inline vf f_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf f_min(vf a, vf b) { return vbslq_f32(vcltq_f32(a, b), a, b); } /* a < b ? a : b */
static inline vf f_max(vf a, vf b) { return vbslq_f32(vcgtq_f32(a, b), a, b); } /* a > b ? a : b */
static inline vf f_from_i32(vu x) { return vcvtq_f32_s32(vreinterpretq_s32_u32(x)); }
static inline vf f_from_u32(vu x) { return vcvtq_f32_u32(x); }
static inline vu f_bits(vf a) { return vreinterpretq_u32_f32(a); }
static inline vf f_from_bits(vu x) { return vreinterpretq_f32_u32(x); }
static inline mf f_ge(vf a, vf b) { return vcgeq_f32(a, b); }
static inline mf f_le(vf a, vf b) { return vcleq_f32(a, b); }
static inline vf f_sel(mf m, vf t, vf f) { return vbslq_f32(m, t, f); }
static inline vf f_neg_where(mf m, vf x)
{
    return vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(x), vandq_u32(m, vdupq_n_u32(0x80000000u))));
}

static inline vu u_set(uint32_t x) { return vdupq_n_u32(x); }
static inline vu u_add(vu a, vu b) { return vaddq_u32(a, b); }
static inline vu u_sub(vu a, vu b) { return vsubq_u32(a, b); }
static inline vu u_and(vu a, vu b) { return vandq_u32(a, b); }
static inline vu u_xor(vu a, vu b) { return veorq_u32(a, b); }
static inline vu u_not(vu a) { return vmvnq_u32(a); }
static inline vu u_xor_and(vu x, vu y, vu m) { return veorq_u32(x, vandq_u32(y, m)); }
#define u_srl(x, n) vshrq_n_u32(x, n)
#define u_sll(x, n) vshlq_n_u32(x, n)
#define u_sra(x, n) vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_u32(x), n))
#define u_bit(x, n) vtstq_u32(x, vdupq_n_u32(1u << (n))) /* lanes where bit n is set */

/* ---- float64 lanes ---- */

static inline vd d_set(double x) { return vdupq_n_f64(x); }
static inline vd d_add(vd a, vd b) { return vaddq_f64(a, b); }
static inline vd d_sub(vd a, vd b) { return vsubq_f64(a, b); }
static inline vd d_mul(vd a, vd b) { return vmulq_f64(a, b); }
static inline vd d_div(vd a, vd b) { return vdivq_f64(a, b); }
static inline vd d_sqrt(vd a) { return vsqrtq_f64(a); }
static inline vd d_fma(vd a, vd b, vd c) { return vfmaq_f64(c, a, b); }
static inline vd d_min(vd a, vd b) { return vbslq_f64(vcltq_f64(a, b), a, b); }
static inline vd d_max(vd a, vd b) { return vbslq_f64(vcgtq_f64(a, b), a, b); }
static inline vd d_from_u52(vq x) { return vcvtq_f64_u64(x); } /* x < 2^52: exact */
static inline vd d_from_u53(vq x) { return vcvtq_f64_u64(x); } /* x < 2^53: exact */
static inline vd d_from_top12(vq x) { return vcvtq_f64_s64(vshrq_n_s64(vreinterpretq_s64_u64(x), 52)); }
static inline vq d_bits(vd a) { return vreinterpretq_u64_f64(a); }
static inline vd d_from_bits(vq x) { return vreinterpretq_f64_u64(x); }
static inline md d_ge(vd a, vd b) { return vcgeq_f64(a, b); }
static inline md d_le(vd a, vd b) { return vcleq_f64(a, b); }
static inline md d_eq(vd a, vd b) { return vceqq_f64(a, b); }
static inline vd d_sel(md m, vd t, vd f) { return vbslq_f64(m, t, f); }
static inline vd d_neg_where(md m, vd x)
{
    return vreinterpretq_f64_u64(veorq_u64(vreinterpretq_u64_f64(x), vandq_u64(m, vdupq_n_u64(0x8000000000000000ull))));
}

static inline vq q_set(uint64_t x) { return vdupq_n_u64(x); }
static inline vq q_add(vq a, vq b) { return vaddq_u64(a, b); }
static inline vq q_sub(vq a, vq b) { return vsubq_u64(a, b); }
static inline vq q_and(vq a, vq b) { return vandq_u64(a, b); }
static inline vq q_xor(vq a, vq b) { return veorq_u64(a, b); }
static inline vq q_not(vq a) { return veorq_u64(a, vdupq_n_u64(~0ull)); }
static inline vq q_xor_and(vq x, vq y, vq m) { return veorq_u64(x, vandq_u64(y, m)); }
#define q_srl(x, n) vshrq_n_u64(x, n)
#define q_sll(x, n) vshlq_n_u64(x, n)
#define q_bit(x, n) vtstq_u64(x, vdupq_n_u64(1ull << (n)))

/* ---- stores (no streaming stores: plain ones) ---- */

static inline void store_f32(float *o, vf v, int nt) { (void)nt; vst1q_f32(o, v); }
static inline void store_f64(double *o, vd v, int nt) { (void)nt; vst1q_f64(o, v); }

static inline void store_f16_group(uint16_t *o, const vf v[8], int nt)
{
    (void)nt;
    for (int h = 0; h < 8; h += 2)
        vst1q_u16(o + 4 * h, vreinterpretq_u16_f16(vcombine_f16(vcvt_f16_f32(v[h]), vcvt_f16_f32(v[h + 1]))));
}

/* round to nearest even in integers, NaN quieted (wi_f32_to_bf16): the high
 * halves of x + 0x7FFF + lsb, or of x | 0x400000 for NaN */
static inline uint16x8_t bf16_pair(vf a, vf b)
{
    uint32x4_t r[2];
    vf v[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        uint32x4_t x = vreinterpretq_u32_f32(v[i]);
        uint32x4_t lsb = vandq_u32(vshrq_n_u32(x, 16), vdupq_n_u32(1));
        uint32x4_t nan = vcgtq_u32(vandq_u32(x, vdupq_n_u32(0x7FFFFFFFu)), vdupq_n_u32(0x7F800000u));
        r[i] = vbslq_u32(nan, vorrq_u32(x, vdupq_n_u32(0x400000u)), vaddq_u32(vaddq_u32(x, vdupq_n_u32(0x7FFF)), lsb));
    }
    return vuzp2q_u16(vreinterpretq_u16_u32(r[0]), vreinterpretq_u16_u32(r[1]));
}

static inline void store_bf16_group(uint16_t *o, const vf v[8], int nt)
{
    (void)nt;
    for (int h = 0; h < 8; h += 2)
        vst1q_u16(o + 4 * h, bf16_pair(v[h], v[h + 1]));
}

static inline void store_fence(int nt) { (void)nt; }

#endif
