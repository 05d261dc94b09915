/* The one kernel driver: every distribution's values, the group loop, the
 * dtype stores and the kernel table, written once over the primitives of one
 * ISA (simd_*.h).
 *
 * Provides, per kernel unit, the table WI_TABLE with gen_<dist>_<dtype> for
 * every entry of WI_DISTS x WI_DTYPES:
 *   uniform, normal     f16, bf16, f32 (float32 arithmetic, 32 values per
 *                       group), f64 (16 per group);
 *   trunc_normal        the same, and its float64 modes narrowed to the
 *                       32-bit dtypes (gen_trunc_32);
 *   constant            every dtype, without random bits.
 *
 * Needs from the primitive header (the contract of every simd_*.h):
 *   lanes    WI_L32, WI_L64 lanes per vector, WI_INFLIGHT groups per batch;
 *            vf, vu (32-bit lanes), vd, vq (64-bit), masks mf, md
 *   Philox   wi_keys, keys_init(k, p), philox(k, g, n, xw, yw): the words of
 *            groups g .. g+n-1 in kernels.h's layout; q_words(w, h)
 *   f32      f_set add sub mul div sqrt fma min max from_i32 from_u32 bits
 *            from_bits ge le sel neg_where
 *   u32      u_set add sub and xor xor_and not srl sll sra bit
 *   f64      d_set add sub mul div sqrt fma min max from_u52 from_u53
 *            from_top12 bits from_bits ge le eq sel neg_where
 *   u64      q_set add sub and xor xor_and not srl sll bit
 *   stores   store_f32, store_f64 (nt: streaming), store_f16_group,
 *            store_bf16_group (a group's 32 values, rounded to nearest
 *            even), store_fence
 * min and max mean the x86 operand order (a < b ? a : b); fma is fused.
 *
 * A kernel unit includes one primitive header, then this file after defining
 *   WI_TABLE        the table's identifier (declared in kernels.h),
 *   WI_TABLE_NAME   its name for WEIGHTINIT_ISA / set_isa,
 *   WI_TABLE_NEEDS  the WI_CAP_* bits the CPU must have.
 * Each value follows wimath.h operation for operation (the same constants,
 * explicit fma, IEEE add/mul/div/sqrt), so every path writes the same bits
 * by construction.  The group mapping is kernels.h's: a group's 32 (float64:
 * 16) values are its vectors v[0..] in memory order, v[h] from xw[h] and
 * v[VPG + h] from yw[h].
 */
#ifndef WI_KERNELS_DRIVER_H
#define WI_KERNELS_DRIVER_H

#include "kernels.h"
#include "wimath.h"

#define VPG32 WI_VPG32
#define VPG64 WI_VPG64

/* ---------------------------------------------------------------- float32 */

static WI_ALWAYS_INLINE vf uniform_ps(const wi_params *p, vu w)
{
    vf u = f_mul(f_from_i32(u_srl(w, 8)), f_set(0x1p-24f));
    return f_min(f_fma(u, f_set(p->uniform.f32.width), f_set(p->uniform.f32.lo)), f_set(p->uniform.f32.hi));
}

static WI_ALWAYS_INLINE vf log_ps(vf x)
{
    const vu sqrt_half = u_set(WI_F_SQRT_HALF_BITS);
    vu ix = u_sub(f_bits(x), sqrt_half);
    vf e = f_from_i32(u_sra(ix, 23));
    vf m = f_from_bits(u_add(u_and(ix, u_set(0x007FFFFFu)), sqrt_half));
    vf f = f_sub(m, f_set(1.0f));
    vf q = f_fma(f_set(WI_F_LOG_P6), f, f_set(WI_F_LOG_P5));
    q = f_fma(q, f, f_set(WI_F_LOG_P4));
    q = f_fma(q, f, f_set(WI_F_LOG_P3));
    q = f_fma(q, f, f_set(WI_F_LOG_P2));
    q = f_fma(q, f, f_set(WI_F_LOG_P1));
    q = f_fma(q, f, f_set(WI_F_LOG_P0));
    vf logm = f_fma(f_mul(f, f), f_fma(f, q, f_set(-0.5f)), f);
    return f_fma(e, f_set(WI_F_LN2), logm);
}

/* Box-Muller: radius from word xw, angle from word yw; mean + r std (cos, sin). */
static WI_ALWAYS_INLINE void normal_ps(float mean, float std, vu xw, vu yw, vf *zc, vf *zs)
{
    vf u1 = f_fma(f_from_u32(xw), f_set(0x1p-32f), f_set(0x1p-33f));
    vf rad = f_sqrt(f_mul(f_set(-2.0f), log_ps(u1)));

    vf t = f_mul(f_from_i32(u_and(u_srl(yw, 5), u_set(0xFFFFFFu))), f_set(WI_F_QUARTER_PI_2M24));
    vf t2 = f_mul(t, t);
    vf ps = f_fma(f_set(WI_F_SIN_C7), t2, f_set(WI_F_SIN_C5));
    ps = f_fma(ps, t2, f_set(WI_F_SIN_C3));
    vf s = f_fma(f_mul(t, t2), ps, t);
    vf pc = f_fma(f_set(WI_F_COS_C8), t2, f_set(WI_F_COS_C6));
    pc = f_fma(pc, t2, f_set(WI_F_COS_C4));
    pc = f_fma(pc, t2, f_set(WI_F_COS_C2));
    vf c = f_fma(t2, pc, f_set(1.0f));

    /* octant: bit 29 swaps, bits 31 and 30 negate */
    const vu sign = u_set(0x80000000u);
    mf swap = u_bit(yw, 29);
    vf cv = f_from_bits(u_xor_and(f_bits(f_sel(swap, s, c)), yw, sign));
    vf sv = f_from_bits(u_xor_and(f_bits(f_sel(swap, c, s)), u_sll(yw, 1), sign));

    vf rs = f_mul(rad, f_set(std)), m = f_set(mean);
    *zc = f_fma(rs, cv, m);
    *zs = f_fma(rs, sv, m);
}

static WI_ALWAYS_INLINE vf horner_ps(const float *c, int n, vf x)
{
    vf acc = f_set(c[n - 1]);
    WI_UNROLL
    for (int i = n - 2; i >= 0; i--)
        acc = f_fma(acc, x, f_set(c[i]));
    return acc;
}

/* g(s) = Phi^-1(1 - s), evaluating only the pieces this fill's window can reach */
static WI_ALWAYS_INLINE vf quantile_ps(vf s, int pieces)
{
    vf t = f_sub(f_set(0.5f), s);
    vf num = f_set(0.0f), den = f_set(1.0f), m = f_set(1.0f);
    if (pieces & WI_TQ_TAIL) {
        vf r = f_sqrt(f_mul(f_set(-2.0f), log_ps(s)));
        num = horner_ps(wi_f_tq_tn, 5, r);
        den = horner_ps(wi_f_tq_td, 5, r);
    }
    if (pieces & WI_TQ_MIDDLE) {
        mf in = f_ge(s, f_set(WI_F_TQ_S1));
        vf w = f_sub(t, f_set(WI_F_TQ_C));
        num = f_sel(in, horner_ps(wi_f_tq_bn, 5, w), num);
        den = f_sel(in, horner_ps(wi_f_tq_bd, 4, w), den);
    }
    if (pieces & WI_TQ_CENTRE) {
        mf in = f_ge(s, f_set(WI_F_TQ_S0));
        vf z = f_mul(t, t);
        num = f_sel(in, horner_ps(wi_f_tq_cn, 5, z), num);
        den = f_sel(in, horner_ps(wi_f_tq_cd, 4, z), den);
        m = f_sel(in, t, m);
    }
    return f_mul(m, f_div(num, den));
}

static WI_ALWAYS_INLINE vf clamp_ps(const wi_params *p, vf v)
{
    return f_min(f_max(v, f_set(p->trunc_normal.f32.lo)), f_set(p->trunc_normal.f32.hi));
}

/* Inverse CDF from one word: u and 1 - u from w and ~w, so each side's tail
 * probability keeps its own relative precision. */
static WI_ALWAYS_INLINE vf trunc_ps(const wi_params *p, vu w)
{
    const vf scale = f_set(0x1p-32f), half = f_set(0x1p-33f), mass = f_set(p->trunc_normal.f32.mass);
    vf u = f_fma(f_from_u32(w), scale, half);
    vf v = f_fma(f_from_u32(u_not(w)), scale, half);
    vf lower = f_fma(u, mass, f_set(p->trunc_normal.f32.below));
    vf upper = f_fma(v, mass, f_set(p->trunc_normal.f32.above));
    mf left = f_le(lower, upper);
    vf x = f_neg_where(left, quantile_ps(f_sel(left, lower, upper), p->trunc_normal.pieces));
    return clamp_ps(p, f_fma(x, f_set(p->trunc_normal.f32.std), f_set(p->trunc_normal.f32.mean)));
}

/* ---- the values of one group (32 lanes) ---- */

static WI_ALWAYS_INLINE void uniform_g32(const wi_params *p, const vu *xw, const vu *yw, vf *v)
{
    for (int h = 0; h < VPG32; h++) {
        v[h] = uniform_ps(p, xw[h]);
        v[VPG32 + h] = uniform_ps(p, yw[h]);
    }
}

static WI_ALWAYS_INLINE void normal_values32(float mean, float std, const vu *xw, const vu *yw, vf *v)
{
    for (int h = 0; h < VPG32; h++)
        normal_ps(mean, std, xw[h], yw[h], &v[h], &v[VPG32 + h]);
}

static WI_ALWAYS_INLINE void normal_g32(const wi_params *p, const vu *xw, const vu *yw, vf *v)
{
    normal_values32(p->normal.f32.mean, p->normal.f32.std, xw, yw, v);
}

/* trunc normal, one group function per mode (WI_TM_*), chosen once per call:
 * NORMAL, Box-Muller values clamped to the window */
static WI_ALWAYS_INLINE void clamped_g32(const wi_params *p, const vu *xw, const vu *yw, vf *v)
{
    normal_values32(p->trunc_normal.f32.mean, p->trunc_normal.f32.std, xw, yw, v);
    for (int h = 0; h < 2 * VPG32; h++)
        v[h] = clamp_ps(p, v[h]);
}

/* F32, the inverse CDF in float32 */
static WI_ALWAYS_INLINE void trunc_g32(const wi_params *p, const vu *xw, const vu *yw, vf *v)
{
    for (int h = 0; h < VPG32; h++) {
        v[h] = trunc_ps(p, xw[h]);
        v[VPG32 + h] = trunc_ps(p, yw[h]);
    }
}

/* ---------------------------------------------------------------- float64 */

static WI_ALWAYS_INLINE vd uniform_pd(const wi_params *p, vq w)
{
    vd u = d_mul(d_from_u53(q_srl(w, 11)), d_set(0x1p-53));
    return d_min(d_fma(u, d_set(p->uniform.f64.width), d_set(p->uniform.f64.lo)), d_set(p->uniform.f64.hi));
}

static WI_ALWAYS_INLINE vd log_pd(vd x)
{
    const vq sqrt_half = q_set(WI_D_SQRT_HALF_BITS);
    vq ix = q_sub(d_bits(x), sqrt_half);
    vd e = d_from_top12(ix);
    vd m = d_from_bits(q_add(q_and(ix, q_set(0x000FFFFFFFFFFFFFull)), sqrt_half));
    vd f = d_sub(m, d_set(1.0));
    vd s = d_div(f, d_add(d_set(2.0), f));
    vd z = d_mul(s, s);
    vd q = d_set(wi_d_log_c[0]);
    WI_UNROLL
    for (int i = 1; i < 11; i++)
        q = d_fma(q, z, d_set(wi_d_log_c[i]));
    vd hs = d_add(s, s);
    vd logm = d_fma(d_mul(hs, z), q, hs);
    return d_fma(e, d_set(WI_D_LN2), logm);
}

static WI_ALWAYS_INLINE void normal_pd(double mean, double std, vq xw, vq yw, vd *zc, vd *zs)
{
    vd u1 = d_mul(d_add(d_from_u52(q_srl(xw, 12)), d_set(0.5)), d_set(0x1p-52));
    vd rad = d_sqrt(d_mul(d_set(-2.0), log_pd(u1)));

    vd t = d_mul(d_from_u53(q_and(q_srl(yw, 8), q_set(0x1FFFFFFFFFFFFFull))), d_set(WI_D_QUARTER_PI_2M53));
    vd t2 = d_mul(t, t);
    vd ps = d_set(wi_d_sin_c[0]);
    WI_UNROLL
    for (int i = 1; i < 8; i++)
        ps = d_fma(ps, t2, d_set(wi_d_sin_c[i]));
    vd s = d_fma(d_mul(t, t2), ps, t);
    vd pc = d_set(wi_d_cos_c[0]);
    WI_UNROLL
    for (int i = 1; i < 9; i++)
        pc = d_fma(pc, t2, d_set(wi_d_cos_c[i]));
    vd c = d_fma(t2, pc, d_set(1.0));

    const vq sign = q_set(0x8000000000000000ull);
    md swap = q_bit(yw, 61);
    vd cv = d_from_bits(q_xor_and(d_bits(d_sel(swap, s, c)), yw, sign));
    vd sv = d_from_bits(q_xor_and(d_bits(d_sel(swap, c, s)), q_sll(yw, 1), sign));

    vd rs = d_mul(rad, d_set(std)), m = d_set(mean);
    *zc = d_fma(rs, cv, m);
    *zs = d_fma(rs, sv, m);
}

static WI_ALWAYS_INLINE vd horner_pd(const double *c, int n, vd x)
{
    vd acc = d_set(c[n - 1]);
    WI_UNROLL
    for (int i = n - 2; i >= 0; i--)
        acc = d_fma(acc, x, d_set(c[i]));
    return acc;
}

/* the tail rational: coefficients of tail 1 (r <= R1) or tail 2, per lane */
static WI_ALWAYS_INLINE vd horner_tail_pd(const double *c1, const double *c2, md first, vd x)
{
    vd acc = d_sel(first, d_set(c1[WI_D_TQ_TN - 1]), d_set(c2[WI_D_TQ_TN - 1]));
    WI_UNROLL
    for (int i = WI_D_TQ_TN - 2; i >= 0; i--)
        acc = d_fma(acc, x, d_sel(first, d_set(c1[i]), d_set(c2[i])));
    return acc;
}

static WI_ALWAYS_INLINE vd quantile_pd(vd s)
{
    vd r = d_sqrt(d_mul(d_set(-2.0), log_pd(s)));
    vd t = d_sub(d_set(0.5), s), z = d_mul(t, t);
    md central = d_ge(s, d_set(WI_D_TQ_S0));
    md first = d_le(r, d_set(WI_D_TQ_R1));
    vd xt = d_sel(first, r, d_mul(d_sub(r, d_set(WI_D_TQ_R1)), d_set(WI_D_TQ_XS)));
    vd num = d_sel(central, horner_pd(wi_d_tq_cn, WI_D_TQ_CN, z), horner_tail_pd(wi_d_tq_t1n, wi_d_tq_t2n, first, xt));
    vd den = d_sel(central, horner_pd(wi_d_tq_cd, WI_D_TQ_CN, z), horner_tail_pd(wi_d_tq_t1d, wi_d_tq_t2d, first, xt));
    return d_mul(d_sel(central, t, d_set(1.0)), d_div(num, den));
}

static WI_ALWAYS_INLINE vd clamp_pd(const wi_params *p, vd v)
{
    return d_min(d_max(v, d_set(p->trunc_normal.f64.lo)), d_set(p->trunc_normal.f64.hi));
}

static WI_ALWAYS_INLINE vd trunc_pd(const wi_params *p, vq w)
{
    const vd scale = d_set(0x1p-52), half = d_set(0.5), mass = d_set(p->trunc_normal.f64.mass);
    vd u = d_mul(d_add(d_from_u52(q_srl(w, 12)), half), scale);
    vd v = d_mul(d_add(d_from_u52(q_srl(q_not(w), 12)), half), scale);
    vd lower = d_fma(u, mass, d_set(p->trunc_normal.f64.below));
    vd upper = d_fma(v, mass, d_set(p->trunc_normal.f64.above));
    md left = d_le(lower, upper);
    vd x = d_neg_where(left, quantile_pd(d_sel(left, lower, upper)));
    return clamp_pd(p, d_fma(x, d_set(p->trunc_normal.f64.std), d_set(p->trunc_normal.f64.mean)));
}

/* FAR mode, in standard units: x = edge + E with E exponential of rate edge
 * (the near edge's distance from the mean), cut at the window's far edge
 * (span = 1 - exp(-edge * width)); value = start + scale * E, start the near
 * bound and scale = +-std.  The dropped factor exp(-E^2/2) is within
 * 1/(2 edge^2) < 4e-4 of 1 out there.  log1p(y) as log(w) * y / (w - 1) with
 * w = 1 + y keeps small E exact. */
static WI_ALWAYS_INLINE vd far_pd(const wi_params *p, vq w)
{
    vd u = d_mul(d_add(d_from_u52(q_srl(w, 12)), d_set(0.5)), d_set(0x1p-52));
    vd y = d_mul(u, d_set(-p->trunc_normal.tail.span));
    vd x = d_add(d_set(1.0), y);
    vd l1p = d_sel(d_eq(x, d_set(1.0)), y, d_mul(log_pd(x), d_div(y, d_sub(x, d_set(1.0)))));
    return clamp_pd(p, d_fma(d_set(p->trunc_normal.tail.scale), d_div(l1p, d_set(-p->trunc_normal.tail.edge)),
                             d_set(p->trunc_normal.tail.start)));
}

/* ---- the values of one group (16 lanes) ---- */

static WI_ALWAYS_INLINE void uniform_g64(const wi_params *p, const vu *xw, const vu *yw, vd *v)
{
    for (int h = 0; h < VPG64; h++) {
        v[h] = uniform_pd(p, q_words(xw, h));
        v[VPG64 + h] = uniform_pd(p, q_words(yw, h));
    }
}

static WI_ALWAYS_INLINE void normal_values64(double mean, double std, const vu *xw, const vu *yw, vd *v)
{
    for (int h = 0; h < VPG64; h++)
        normal_pd(mean, std, q_words(xw, h), q_words(yw, h), &v[h], &v[VPG64 + h]);
}

static WI_ALWAYS_INLINE void normal_g64(const wi_params *p, const vu *xw, const vu *yw, vd *v)
{
    normal_values64(p->normal.f64.mean, p->normal.f64.std, xw, yw, v);
}

/* trunc normal by mode, as for 32 lanes: NORMAL */
static WI_ALWAYS_INLINE void clamped_g64(const wi_params *p, const vu *xw, const vu *yw, vd *v)
{
    normal_values64(p->trunc_normal.f64.mean, p->trunc_normal.f64.std, xw, yw, v);
    for (int h = 0; h < 2 * VPG64; h++)
        v[h] = clamp_pd(p, v[h]);
}

/* FAR, the exponential tail */
static WI_ALWAYS_INLINE void far_g64(const wi_params *p, const vu *xw, const vu *yw, vd *v)
{
    for (int h = 0; h < VPG64; h++) {
        v[h] = far_pd(p, q_words(xw, h));
        v[VPG64 + h] = far_pd(p, q_words(yw, h));
    }
}

/* F64, the inverse CDF in float64 */
static WI_ALWAYS_INLINE void trunc_g64(const wi_params *p, const vu *xw, const vu *yw, vd *v)
{
    for (int h = 0; h < VPG64; h++) {
        v[h] = trunc_pd(p, q_words(xw, h));
        v[VPG64 + h] = trunc_pd(p, q_words(yw, h));
    }
}

/* ------------------------------------------------------- stores and loop */

static WI_ALWAYS_INLINE void store_f32_group(float *o, const vf *v, int nt)
{
    for (int h = 0; h < 2 * VPG32; h++)
        store_f32(o + WI_L32 * h, v[h], nt);
}

static WI_ALWAYS_INLINE void store_f64_group(double *o, const vd *v, int nt)
{
    for (int h = 0; h < 2 * VPG64; h++)
        store_f64(o + WI_L64 * h, v[h], nt);
}

/* Philox words of WI_INFLIGHT groups, and of one: out of line, so that the
 * unrolled rounds exist once per unit rather than once per kernel. */
static __attribute__((noinline)) void philox_batch(const wi_keys *k, uint64_t g, vu xw[][VPG32], vu yw[][VPG32])
{
    philox(k, g, WI_INFLIGHT, xw, yw);
}

static __attribute__((noinline)) void philox_one(const wi_keys *k, uint64_t g, vu xw[][VPG32], vu yw[][VPG32])
{
    philox(k, g, 1, xw, yw);
}

/* Streaming stores into memory in 4 KiB pages miss the TLB once a page, and
 * on a VM's nested page tables the walk stalls the stores behind it.  A
 * prefetch into the page two ahead starts that walk early, for 64 bytes read
 * per 4 KiB written: 64 Mi-element float32 fills on Zen 5, per thread,
 * uniform +10-13 %, normal +5 % (2 MiB pages: unchanged).  Prefetches never
 * fault, past the end included.  tools/ceiling.py measures it against a
 * core built with -DWI_TLB_AHEAD=0 (off). */
#ifndef WI_TLB_AHEAD
#define WI_TLB_AHEAD 8192
#endif

static WI_ALWAYS_INLINE void warm_tlb(const void *at)
{
    __builtin_prefetch((const void *)(((uintptr_t)at + WI_TLB_AHEAD) & ~(uintptr_t)4095), 0, 0);
}

/* `count` whole groups from group `group`: WI_INFLIGHT groups' Philox words
 * at a time (independent chains hide the round latency), then their values;
 * leftover groups one at a time.  Streaming stores need a 64-byte aligned
 * output.  NAME##_values, a batch's values and stores, is out of line: the
 * Philox call clobbers every vector register, and inside one loop GCC kept
 * the transform's constants in registers, storing ~20 of them to the stack
 * before each call and loading them after (normal_, AVX-512); on its own it
 * loads them once per batch and stores nothing. */
#define WI_GROUPS(NAME, VT, NV, VALUES, ET, GLEN, STORE)                                        \
    static __attribute__((noinline)) void NAME##_values(const wi_params *p, int n, vu xw[][VPG32], \
                                                        vu yw[][VPG32], ET *o, int nt)          \
    {                                                                                          \
        for (int j = 0; j < n; j++) {                                                          \
            VT v[NV];                                                                          \
            VALUES(p, xw[j], yw[j], v);                                                        \
            STORE(o + j * (GLEN), v, nt);                                                      \
        }                                                                                      \
    }                                                                                          \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out)              \
    {                                                                                          \
        wi_keys k;                                                                             \
        ET *o = out;                                                                           \
        int nt = p->nontemporal && ((uintptr_t)out & 63) == 0;                                 \
        size_t i = 0;                                                                          \
        keys_init(&k, p);                                                                      \
        for (; i + WI_INFLIGHT <= count; i += WI_INFLIGHT) {                                   \
            vu xw[WI_INFLIGHT][VPG32], yw[WI_INFLIGHT][VPG32];                                 \
            if (nt && WI_TLB_AHEAD)                                                            \
                warm_tlb(o + i * (GLEN));                                                      \
            philox_batch(&k, group + i, xw, yw);                                               \
            NAME##_values(p, WI_INFLIGHT, xw, yw, o + i * (GLEN), nt);                         \
        }                                                                                      \
        for (; i < count; i++) {                                                               \
            vu xw[1][VPG32], yw[1][VPG32];                                                     \
            philox_one(&k, group + i, xw, yw);                                                 \
            NAME##_values(p, 1, xw, yw, o + i * (GLEN), nt);                                   \
        }                                                                                      \
        store_fence(nt);                                                                       \
    }

#define WI_GROUPS_FOR_DTYPES(dist, G32, G64)                                                   \
    WI_GROUPS(dist##_f16, vf, 2 * VPG32, G32, uint16_t, WI_GROUP32, store_f16_group)           \
    WI_GROUPS(dist##_bf16, vf, 2 * VPG32, G32, uint16_t, WI_GROUP32, store_bf16_group)         \
    WI_GROUPS(dist##_f32, vf, 2 * VPG32, G32, float, WI_GROUP32, store_f32_group)              \
    WI_GROUPS(dist##_f64, vd, 2 * VPG64, G64, double, WI_GROUP64, store_f64_group)

WI_GROUPS_FOR_DTYPES(uniform, uniform_g32, uniform_g64)
WI_GROUPS_FOR_DTYPES(normal, normal_g32, normal_g64)
WI_GROUPS_FOR_DTYPES(clamped, clamped_g32, clamped_g64)
WI_GROUPS_FOR_DTYPES(trunc, trunc_g32, trunc_g64)
WI_GROUPS(far_f64, vd, 2 * VPG64, far_g64, double, WI_GROUP64, store_f64_group)

/* ------------------------------------------------------- table entries */

/* gen_<dist>_<dtype>: any range [s, s + n), by groups */
#define WI_GEN_BY_GROUPS_(DT, dt, dist)                                                         \
    static void gen_##dist##_##dt(const wi_params *p, uint64_t s, size_t n, void *o)           \
    {                                                                                          \
        wi_gen_by_groups(dist##_##dt, p, s, n, o, wi_group_len(WI_##DT), wi_itemsize(WI_##DT)); \
    }
WI_DTYPES(WI_GEN_BY_GROUPS_, uniform)
WI_DTYPES(WI_GEN_BY_GROUPS_, normal)

/* trunc normal: the float64 modes (F64, FAR) map elements as float64 does;
 * 32-bit dtypes round those values to float32, then to the dtype.  A float64
 * tensor never gets mode F32 (params.c). */
static void gen_trunc_normal_f64(const wi_params *p, uint64_t s, size_t n, void *o)
{
    wi_groups_fn fn = trunc_f64;
    switch (p->trunc_normal.mode) {
    case WI_TM_NORMAL:
        fn = clamped_f64;
        break;
    case WI_TM_FAR:
        fn = far_f64;
        break;
    case WI_TM_F32: /* never for float64 */
    case WI_TM_F64:
        break;
    }
    wi_gen_by_groups(fn, p, s, n, o, WI_GROUP64, 8);
}

static void gen_trunc_32(const wi_params *p, uint64_t s, size_t n, void *o, wi_dtype dt, wi_groups_fn clamped,
                         wi_groups_fn inverse, uint16_t (*narrow)(float))
{
    switch (p->trunc_normal.mode) {
    case WI_TM_NORMAL:
        wi_gen_by_groups(clamped, p, s, n, o, WI_GROUP32, wi_itemsize(dt));
        break;
    case WI_TM_F32:
        wi_gen_by_groups(inverse, p, s, n, o, WI_GROUP32, wi_itemsize(dt));
        break;
    case WI_TM_F64:
        wi_gen_narrowed(trunc_f64, p, s, n, o, dt, narrow);
        break;
    case WI_TM_FAR:
        wi_gen_narrowed(far_f64, p, s, n, o, dt, narrow);
        break;
    }
}

static void gen_trunc_normal_f16(const wi_params *p, uint64_t s, size_t n, void *o)
{
    gen_trunc_32(p, s, n, o, WI_F16, clamped_f16, trunc_f16, wi_f32_to_f16);
}

static void gen_trunc_normal_bf16(const wi_params *p, uint64_t s, size_t n, void *o)
{
    gen_trunc_32(p, s, n, o, WI_BF16, clamped_bf16, trunc_bf16, wi_f32_to_bf16);
}

static void gen_trunc_normal_f32(const wi_params *p, uint64_t s, size_t n, void *o)
{
    gen_trunc_32(p, s, n, o, WI_F32, clamped_f32, trunc_f32, NULL);
}

/* constant: the value's bits (no random numbers) */
#define WI_GEN_CONSTANT_(DT, dt, unused)                                                         \
    static void gen_constant_##dt(const wi_params *p, uint64_t s, size_t n, void *o)           \
    {                                                                                          \
        (void)s;                                                                               \
        wi_constant_fill(p, n, o, wi_itemsize(WI_##DT));                                       \
    }
WI_DTYPES(WI_GEN_CONSTANT_, )

/* The table: a row per distribution, an entry per dtype, from the lists in
 * weightinit.h (a distribution or dtype without its gen_ function here is a
 * compile error). */
#define WI_ENTRY_(DT, dt, dist) [WI_##DT] = gen_##dist##_##dt,
#define WI_ROW_(D, dist, unused) [WI_##D] = {WI_DTYPES(WI_ENTRY_, dist)},
const wi_kernel_table WI_TABLE = {WI_TABLE_NAME, WI_TABLE_NEEDS, {WI_DISTS(WI_ROW_, )}};

#endif
