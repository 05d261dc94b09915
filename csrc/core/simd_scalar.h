/* Portable primitives for kernels_driver.h: one lane per "vector", plain C11
 * on float, double and integers, so the driver's per-group loops (16 lanes
 * of words in, 32 values out) are loops over lanes that the compiler can
 * vectorise with the baseline SIMD of the target (SSE2, NEON), exact IEEE
 * operations only.
 * Defines: the driver's whole primitive set (listed in kernels_driver.h),
 * WI_INFLIGHT 1, keys as wi_keys_words, Philox by philox.h's round; helper
 * wi_fmaf_exact (x86-64 without FMA).  The fused multiply-add is explicit: fmaf/fma where the
 * target has an fma instruction; on x86-64 without FMA, float32 fma is
 * computed exactly in float64 with round-to-odd (wi_fmaf_exact), which the
 * vectoriser can use, where a libm call could not be vectorised.
 *
 * Philox runs a group's 8 blocks (times WI_INFLIGHT) as arrays of counter
 * words, one loop over blocks per round, then interleaves the words into the
 * group layout of kernels.h. */
#ifndef WI_SIMD_SCALAR_H
#define WI_SIMD_SCALAR_H

#include <math.h>
#include <string.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

#define WI_L32 1
#define WI_L64 1
#ifndef WI_INFLIGHT
#define WI_INFLIGHT 1
#endif

typedef float vf;
typedef uint32_t vu;
typedef double vd;
typedef uint64_t vq;
typedef uint32_t mf; /* masks: all ones or zero, like SIMD lanes */
typedef uint64_t md;

/* ---- Philox ---- */

typedef wi_keys_words wi_keys;
#define keys_init wi_keys_words_init

static WI_ALWAYS_INLINE void philox(const wi_keys *k, uint64_t g, int n, vu xw[][16], vu yw[][16])
{
    uint32_t c0[8 * WI_INFLIGHT], c1[8 * WI_INFLIGHT], c2[8 * WI_INFLIGHT], c3[8 * WI_INFLIGHT];
    for (int j = 0; j < 8 * n; j++) {
        uint64_t block = 8 * g + (uint64_t)j;
        c0[j] = (uint32_t)block;
        c1[j] = (uint32_t)(block >> 32);
        c2[j] = k->s0;
        c3[j] = k->s1;
    }
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++)
        for (int j = 0; j < 8 * n; j++)
            wi_philox_round(&c0[j], &c1[j], &c2[j], &c3[j], k->k0[r], k->k1[r]);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 8; j++) {
            xw[i][2 * j] = c0[8 * i + j];
            xw[i][2 * j + 1] = c1[8 * i + j];
            yw[i][2 * j] = c2[8 * i + j];
            yw[i][2 * j + 1] = c3[8 * i + j];
        }
    }
}

static inline vq q_words(const vu *w, int h) { return w[2 * h] | (uint64_t)w[2 * h + 1] << 32; }

/* ---- fused multiply-add ---- */

#if defined(__x86_64__) && !defined(__FMA__)
/* fmaf(a, b, c) exactly, in float64 (Boldo and Melquiond's round-to-odd):
 * a * b is exact in double; s = a * b + c rounded to nearest, err its exact
 * error (TwoSum).  An inexact s is stepped toward zero when it was rounded
 * away (giving the truncation), then its last bit is set: that is the sum
 * rounded to odd, which rounds to float exactly as the sum does (53 >= 24 +
 * 2 bits).  Infinities and NaN keep s.  Integer steps only (SSE2 has no
 * 64-bit compare), so the loops stay vectorisable.  Checked against FMA
 * hardware on 4e8 inputs (random bits and near-halfway cases), no mismatch. */
static inline float wi_fmaf_exact(float a, float b, float c)
{
    double p = (double)a * (double)b, dc = c;
    double s = p + dc;
    double bv = s - p;
    double err = (p - (s - bv)) + (dc - bv);
    uint64_t u = wi_d2u(s), e = wi_d2u(err);
    uint64_t mag = e << 1;
    uint64_t inexact = (mag | (0 - mag)) >> 63;             /* err != 0 (or NaN) */
    uint64_t special = (((u >> 52) & 0x7FF) + 1) >> 11;     /* s is inf or NaN */
    uint64_t fix = inexact & ~special;
    uint64_t away = (e ^ u) >> 63;                          /* err and s of opposite signs */
    return (float)wi_u2d((u - (fix & away)) | fix);
}
#define WI_FMAF wi_fmaf_exact
#else
#define WI_FMAF fmaf
#endif

/* ---- float32 lanes ---- */

static inline vf f_set(float x) { return x; }
static inline vf f_add(vf a, vf b) { return a + b; }
static inline vf f_sub(vf a, vf b) { return a - b; }
static inline vf f_mul(vf a, vf b) { return a * b; }
static inline vf f_div(vf a, vf b) { return a / b; }
static inline vf f_sqrt(vf a) { return sqrtf(a); }
static inline vf f_fma(vf a, vf b, vf c) { return WI_FMAF(a, b, c); }
static inline vf f_min(vf a, vf b) { return a < b ? a : b; } /* the x86 operand order */
static inline vf f_max(vf a, vf b) { return a > b ? a : b; }
static inline vf f_from_i32(vu x) { return (float)(int32_t)x; }
static inline vf f_from_u32(vu x) { return (float)x; }
static inline vu f_bits(vf a) { return wi_f2u(a); }
static inline vf f_from_bits(vu x) { return wi_u2f(x); }
static inline mf f_ge(vf a, vf b) { return -(uint32_t)(a >= b); }
static inline mf f_le(vf a, vf b) { return -(uint32_t)(a <= b); }
/* bitwise, not ?:, so that neither side moves into a branch (which the
 * vectoriser could not undo under -ftrapping-math) */
static inline vf f_sel(mf m, vf t, vf f) { return wi_u2f((wi_f2u(t) & m) | (wi_f2u(f) & ~m)); }
static inline vf f_neg_where(mf m, vf x) { return wi_u2f(wi_f2u(x) ^ (m & 0x80000000u)); }

static inline vu u_set(uint32_t x) { return x; }
static inline vu u_add(vu a, vu b) { return a + b; }
static inline vu u_sub(vu a, vu b) { return a - b; }
static inline vu u_and(vu a, vu b) { return a & b; }
static inline vu u_xor(vu a, vu b) { return a ^ b; }
static inline vu u_not(vu a) { return ~a; }
static inline vu u_xor_and(vu x, vu y, vu m) { return x ^ (y & m); }
static inline vu u_srl(vu x, int n) { return x >> n; }
static inline vu u_sll(vu x, int n) { return x << n; }
static inline vu u_sra(vu x, int n) { return (uint32_t)((int32_t)x >> n); }
static inline mf u_bit(vu x, int n) { return -((x >> n) & 1u); }

/* ---- float64 lanes ---- */

static inline vd d_set(double x) { return x; }
static inline vd d_add(vd a, vd b) { return a + b; }
static inline vd d_sub(vd a, vd b) { return a - b; }
static inline vd d_mul(vd a, vd b) { return a * b; }
static inline vd d_div(vd a, vd b) { return a / b; }
static inline vd d_sqrt(vd a) { return sqrt(a); }
static inline vd d_fma(vd a, vd b, vd c) { return fma(a, b, c); }
static inline vd d_min(vd a, vd b) { return a < b ? a : b; }
static inline vd d_max(vd a, vd b) { return a > b ? a : b; }
static inline vd d_from_u52(vq x) { return (double)x; }
static inline vd d_from_u53(vq x) { return (double)x; }
static inline vd d_from_top12(vq x) { return (double)((int64_t)x >> 52); }
static inline vq d_bits(vd a) { return wi_d2u(a); }
static inline vd d_from_bits(vq x) { return wi_u2d(x); }
static inline md d_ge(vd a, vd b) { return -(uint64_t)(a >= b); }
static inline md d_le(vd a, vd b) { return -(uint64_t)(a <= b); }
static inline md d_eq(vd a, vd b) { return -(uint64_t)(a == b); }
static inline vd d_sel(md m, vd t, vd f) { return wi_u2d((wi_d2u(t) & m) | (wi_d2u(f) & ~m)); }
static inline vd d_neg_where(md m, vd x) { return wi_u2d(wi_d2u(x) ^ (m & 0x8000000000000000ull)); }

static inline vq q_set(uint64_t x) { return x; }
static inline vq q_add(vq a, vq b) { return a + b; }
static inline vq q_sub(vq a, vq b) { return a - b; }
static inline vq q_and(vq a, vq b) { return a & b; }
static inline vq q_xor(vq a, vq b) { return a ^ b; }
static inline vq q_not(vq a) { return ~a; }
static inline vq q_xor_and(vq x, vq y, vq m) { return x ^ (y & m); }
static inline vq q_srl(vq x, int n) { return x >> n; }
static inline vq q_sll(vq x, int n) { return x << n; }
static inline md q_bit(vq x, int n) { return -((x >> n) & 1u); }

/* ---- stores ---- */

static inline void store_f32(float *o, vf v, int nt) { (void)nt; memcpy(o, &v, 4); }
static inline void store_f64(double *o, vd v, int nt) { (void)nt; memcpy(o, &v, 8); }

static inline void store_f16_group(uint16_t *o, const vf v[32], int nt)
{
    (void)nt;
    for (int l = 0; l < 32; l++) {
        uint16_t h = wi_f32_to_f16(v[l]);
        memcpy(o + l, &h, 2);
    }
}

static inline void store_bf16_group(uint16_t *o, const vf v[32], int nt)
{
    (void)nt;
    for (int l = 0; l < 32; l++) {
        uint16_t h = wi_f32_to_bf16(v[l]);
        memcpy(o + l, &h, 2);
    }
}

static inline void store_fence(int nt) { (void)nt; }

#endif
