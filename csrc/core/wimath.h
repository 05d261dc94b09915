/* Bits -> values: the numerics every kernel path shares -- the formulas
 * below, their constants, and the reference rounding to float16/bfloat16.
 *
 * kernels_driver.h evaluates the formulas once, over each ISA's primitives,
 * with the same operations in the same order on every path (explicit fma,
 * IEEE add/mul/div/sqrt, exact integer steps), so every path gives identical
 * bits; tests/twin.py is their exact Python twin.  Compile with
 * -ffp-contract=off so the compiler adds no fma of its own.
 *
 *  uniform f32:  u = (x >> 8) * 2^-24 in [0, 1);  v = min(fma(u, b - a, a), hi)
 *  uniform f64:  u = (x64 >> 11) * 2^-53;         same form in double
 *  normal:       Box-Muller.  Radius from one word: u1 in (0, 1], r = sqrt(-2 log u1)
 *                (float: u1 = fma(float(x), 2^-32, 2^-33), tail to 6.76 sigma;
 *                 double: u1 = ((x64 >> 12) + 0.5) * 2^-52, tail to 8.6 sigma).
 *                Angle from another word: its top three bits pick the octant
 *                (bit 31/63 negates the cos output, bit 30/62 the sin output,
 *                bit 29/61 swaps them) and the next 24/53 bits give t in
 *                [0, pi/4); the 8 symmetries of the square map the octant onto
 *                the circle, so the angle is uniform.  Outputs are
 *                fma(r * std, cos or sin, mean).
 *  log:          x = m * 2^e, m in [sqrt(1/2), sqrt(2)), f = m - 1.  float32:
 *                log m = f - f^2/2 + f^3 P(f), P a degree-6 minimax fit made for
 *                this file (Remez on the relative error; 0.6 ulp with float32
 *                coefficients), no division.  float64: log m = 2 atanh(s),
 *                s = (m - 1)/(m + 1), as a series in s^2.
 *  sin, cos:     float32: minimax polynomials in t^2 on [0, pi/4] fitted for
 *                this file (0.62 and 0.87 ulp); float64: Taylor series.
 *  trunc normal: inverse CDF on the smaller tail probability s <= 1/2, so
 *                tails keep full relative precision; g(s) = Phi^-1(1 - s) is a
 *                rational function of t^2 (t = 1/2 - s) near the centre and of
 *                r = sqrt(-2 log s) in the tails.  Coefficients are minimax
 *                fits (iteratively reweighted least squares against mpmath)
 *                made for this file; float32 is within 7 ulp of g, float64 7.
 *                float32 has a second log-free piece, a rational in t - C for
 *                s in [S1, S0), so windows within about 2 sigma need no log.
 */
#ifndef WI_WIMATH_H
#define WI_WIMATH_H

#include <stdint.h>
#include <string.h>

/* ---- float32 constants ---- */
#define WI_F_SQRT_HALF_BITS 0x3F3504F3u  /* float(sqrt(0.5)) */
#define WI_F_LN2 0x1.62e430p-1f
#define WI_F_LOG_P0 0x1.5556d8p-2f
#define WI_F_LOG_P1 -0x1.000382p-2f
#define WI_F_LOG_P2 0x1.98d7f2p-3f
#define WI_F_LOG_P3 -0x1.53824ap-3f
#define WI_F_LOG_P4 0x1.317456p-3f
#define WI_F_LOG_P5 -0x1.2432b8p-3f
#define WI_F_LOG_P6 0x1.645eb0p-4f
#define WI_F_QUARTER_PI_2M24 0x1.921fb6p-25f /* float(pi/4) * 2^-24 */
#define WI_F_SIN_C3 -0x1.555546p-3f
#define WI_F_SIN_C5 0x1.110760p-7f
#define WI_F_SIN_C7 -0x1.994ebep-13f
#define WI_F_COS_C2 -0x1.000000p-1f
#define WI_F_COS_C4 0x1.55553ep-5f
#define WI_F_COS_C6 -0x1.6c087ep-10f
#define WI_F_COS_C8 0x1.99341cp-16f

/* ---- float64 constants (n! below is exact in double up to 18!) ---- */
#define WI_D_SQRT_HALF_BITS 0x3FE6A09E667F3BCDull
#define WI_D_LN2 0x1.62e42fefa39efp-1
#define WI_D_QUARTER_PI_2M53 0x1.921fb54442d18p-54 /* double(pi/4) * 2^-53 */

/* ---- trunc normal: upper-tail quantile g(s) = Phi^-1(1 - s), 0 < s <= 1/2 ---- */
#define WI_F_TQ_S0 0.075f   /* rational in t^2 for s >= S0 */
#define WI_F_TQ_S1 0.0195f  /* rational in t - C for S1 <= s < S0, in r below */
#define WI_F_TQ_C 0x1.cf9db2p-2f
static const float wi_f_tq_cn[5] = {0x1.40d932p+1f, -0x1.1dc560p+4f, 0x1.23f1c8p+5f, -0x1.0dc244p+4f,
                                    -0x1.6c460ap+1f};
static const float wi_f_tq_cd[4] = {0x1.000000p+0f, -0x1.0585ccp+3f, 0x1.4d06bcp+4f, -0x1.fe9598p+3f};
static const float wi_f_tq_bn[5] = {0x1.ac1046p+0f, -0x1.aa24f6p+5f, 0x1.9ec024p+8f, 0x1.25526ep+3f,
                                    -0x1.4633c4p+11f};
static const float wi_f_tq_bd[4] = {0x1.000000p+0f, -0x1.2f631ep+5f, 0x1.aaa89ep+8f, -0x1.4965bcp+10f};
static const float wi_f_tq_tn[5] = {-0x1.81e246p+1f, -0x1.4184e4p+2f, 0x1.789d7ep+1f, 0x1.532d62p+1f,
                                    0x1.18627ap-2f};
static const float wi_f_tq_td[5] = {0x1.000000p+0f, 0x1.06eb72p+2f, 0x1.54928cp+1f, 0x1.183564p-2f,
                                    0x1.db7a06p-20f};

#define WI_D_TQ_S0 0.15 /* central for s >= S0; tail 1 for r <= R1, tail 2 in (r - R1) * XS */
#define WI_D_TQ_R1 7.5
#define WI_D_TQ_XS (1.0 / 31.2)
#define WI_D_TQ_CN 7 /* coefficients in the central numerator and denominator */
#define WI_D_TQ_TN 8 /* ... and in each tail's */
static const double wi_d_tq_cn[WI_D_TQ_CN] = {
    0x1.40d931ff62706p+1, -0x1.ed472f3eaae8bp+4, 0x1.1fce0abc01c96p+7, -0x1.3b059d8a658a8p+8,
    0x1.4043e4530e9dfp+8, -0x1.f35f0929df8f3p+6, 0x1.1dcf965d69068p+3};
static const double wi_d_tq_cd[WI_D_TQ_CN] = {
    0x1.0000000000000p+0, -0x1.ab16daa28951fp+3, 0x1.14544b27c5d1cp+6, -0x1.5b10e8c29b20ep+7,
    0x1.ae1dbe56844f6p+7, -0x1.d20b9ec512598p+6, 0x1.2765eb87154b8p+4};
static const double wi_d_tq_t1n[WI_D_TQ_TN] = {
    -0x1.c44d58f590e97p+1, -0x1.8817e10f034c3p+4, -0x1.9bf002c07c153p+4, 0x1.e6dddcccaaec6p+2,
    0x1.23cacc4e918e7p+4, 0x1.ee3be4b555ee5p+2, 0x1.2076c912238d8p+0, 0x1.6789273b53ba3p-5};
static const double wi_d_tq_t1d[WI_D_TQ_TN] = {
    0x1.0000000000000p+0, 0x1.703d951f242dcp+3, 0x1.abd23d6c8d5f7p+4, 0x1.61c6fd1b69c4bp+4,
    0x1.fc71e433e92b7p+2, 0x1.20b105f6a6429p+0, 0x1.67770ee363b21p-5, 0x1.0daa1b920aa51p-24};
static const double wi_d_tq_t2n[WI_D_TQ_TN] = {
    0x1.c69844e3f32cap+2, 0x1.e8f0fe14145f2p+6, 0x1.a3fbf11e20718p+9, 0x1.7049cdcc64335p+11,
    0x1.5d36116a516f1p+12, 0x1.5c58900d63343p+12, 0x1.458c8a7ae6462p+11, 0x1.9fea91b7e0c3ep+8};
static const double wi_d_tq_t2d[WI_D_TQ_TN] = {
    0x1.0000000000000p+0, 0x1.950d153b21dadp+3, 0x1.e94ec6bc824a6p+5, 0x1.1a6237e097f96p+7,
    0x1.3ee032e7f93c2p+7, 0x1.41159670e1921p+6, 0x1.aa93fd9fbebd0p+3, 0x1.109548ba37d28p-18};

static const double wi_d_log_c[11] = { /* 1/(2k+1), k = 11 .. 1 (Horner order) */
    1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
    1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3};
static const double wi_d_sin_c[8] = { /* (-1)^k/(2k+1)!, k = 8 .. 1 */
    1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
    -1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0};
static const double wi_d_cos_c[9] = { /* (-1)^k/(2k)!, k = 9 .. 1 */
    -1.0 / 6402373705728000.0, 1.0 / 20922789888000.0, -1.0 / 87178291200.0,
    1.0 / 479001600.0, -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0,
    1.0 / 24.0, -1.0 / 2.0};

static inline uint32_t wi_f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float wi_u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t wi_d2u(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static inline double wi_u2d(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

/* ---- narrowing, round to nearest even (what F16C and torch's c10 do) ---- */

static inline uint16_t wi_f32_to_bf16(float f)
{
    uint32_t x = wi_f2u(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

static inline uint16_t wi_f32_to_f16(float f)
{
    uint32_t x = wi_f2u(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) /* NaN: quiet, top payload bits kept */
        return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
    if (ax >= 0x477FF000u) /* >= 65520 rounds to infinity */
        return (uint16_t)(sign | 0x7C00u);
    if (ax >= 0x38800000u) /* normal half: rebias exponent by 112, round at bit 13 */
        return (uint16_t)(sign | ((ax - 0x38000000u + 0xFFFu + ((ax >> 13) & 1u)) >> 13));
    if (ax < 0x33000000u) /* at most 2^-25: rounds to zero */
        return (uint16_t)sign;
    /* subnormal half: count units of 2^-24 */
    uint32_t mant = (ax & 0x007FFFFFu) | 0x00800000u;
    uint32_t shift = 126u - (ax >> 23);
    uint32_t q = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u)))
        q++;
    return (uint16_t)(sign | q);
}

#endif
