/* Per-distribution parameters: torch's checks (wi_check_params) and their
 * preparation for the kernels (wi_prepare: round keys, values in the
 * precision each dtype computes in, trunc normal's sampling mode), so that
 * fill.c's walker knows no distribution.
 *
 * Switches over wi_dtype and wi_dist name every entry and have no default
 * (the build makes a missing case an error); codes from outside are checked
 * against WI_NDTYPE / WI_NDIST first. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

static double dtype_max(wi_dtype dtype)
{
    double max = DBL_MAX;
    switch (dtype) {
    case WI_F16: max = 65504.0; break;
    case WI_BF16: max = 0x1.fep127; break;
    case WI_F32: max = FLT_MAX; break;
    case WI_F64: max = DBL_MAX; break;
    }
    return max;
}

wi_status wi_check_params(const wi_spec *spec, wi_dtype dtype)
{
    wi_status st = WI_OK;
    double max;

    if ((unsigned)dtype >= WI_NDTYPE) {
        st = WI_E_DTYPE;
        goto done;
    }
    if ((unsigned)spec->dist >= WI_NDIST) {
        st = WI_E_DIST;
        goto done;
    }
    max = dtype_max(dtype);
    switch (spec->dist) {
    case WI_UNIFORM: { /* torch's check_uniform_bounds, in its order */
        double a = spec->uniform.a, b = spec->uniform.b;
        if (!(a >= -max && a <= max))
            st = WI_E_FROM_RANGE;
        else if (!(b >= -max && b <= max))
            st = WI_E_TO_RANGE;
        else if (!(a <= b))
            st = WI_E_FROM_GT_TO;
        else if (!(b - a <= max))
            st = WI_E_WIDTH;
        break;
    }
    case WI_NORMAL:
        if (!(spec->normal.std >= 0.0))
            st = WI_E_STD;
        break;
    case WI_CONSTANT: /* infinities and NaN convert; finite values must fit */
        if (isfinite(spec->constant.value) && (spec->constant.value < -max || spec->constant.value > max))
            st = WI_E_CONST_OVERFLOW;
        break;
    case WI_TRUNC_NORMAL: { /* [a, b] must hold a finite value of the dtype */
        const double a = spec->trunc_normal.a, b = spec->trunc_normal.b;
        if (!(isfinite(spec->trunc_normal.mean) && isfinite(spec->trunc_normal.std) && spec->trunc_normal.std > 0.0))
            st = WI_E_TRUNC;
        else if (!(a <= max))
            st = WI_E_FROM_RANGE;
        else if (!(b >= -max))
            st = WI_E_TO_RANGE;
        else if (!(a <= b))
            st = WI_E_FROM_GT_TO;
        break;
    }
    }
done:
    return st;
}

static double half_value(uint16_t h, wi_dtype dtype)
{
    if (dtype == WI_BF16)
        return wi_u2f((uint32_t)h << 16);
    uint32_t e = (h >> 10) & 0x1F, m = h & 0x3FF;
    double mag = e == 0x1F ? (m ? NAN : INFINITY) : e ? ldexp(1024 + m, (int)e - 25) : ldexp(m, -24);
    return (h >> 15) ? -mag : mag;
}

/* Smallest dtype value >= x (up) or largest <= x (down), as a double.  The
 * conversions round to a neighbour of x, so one step fixes the direction. */
static double dtype_bound(double x, wi_dtype dtype, int up)
{
    if (dtype == WI_F64)
        return x;
    float f = (float)x;
    if (dtype == WI_F32) {
        if (up ? f < x : f > x)
            f = nextafterf(f, up ? INFINITY : -INFINITY);
        return f;
    }
    uint16_t h = dtype == WI_F16 ? wi_f32_to_f16(f) : wi_f32_to_bf16(f);
    double v = half_value(h, dtype);
    if (up ? v < x : v > x) {
        if ((h & 0x7FFF) == 0)
            h = up ? 0x0001 : 0x8001;
        else
            h = (uint16_t)((up != (h >> 15)) ? h + 1 : h - 1);
        v = half_value(h, dtype);
    }
    return v;
}

static double phi(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); } /* P(Z <= x) */

static void prepare_trunc(const wi_spec *spec, wi_dtype dtype, wi_params *p)
{
    double mean = spec->trunc_normal.mean, sd = spec->trunc_normal.std;
    double a = spec->trunc_normal.a, b = spec->trunc_normal.b;
    double al = (a - mean) / sd, be = (b - mean) / sd;
    double reach = dtype == WI_F64 ? 9.0 : 7.0; /* beyond Box-Muller's largest radius */
    double lo = dtype_bound(a, dtype, 1), hi = dtype_bound(b, dtype, 0);
    if (lo > hi) /* no value of the dtype inside [a, b]: the nearer one outside */
        lo = hi = a - hi <= lo - b ? hi : lo;

    p->trunc_normal.f32.mean = (float)mean;
    p->trunc_normal.f32.std = (float)sd;
    p->trunc_normal.f64.mean = mean;
    p->trunc_normal.f64.std = sd;
    p->trunc_normal.f64.lo = lo;
    p->trunc_normal.f64.hi = hi;
    p->trunc_normal.f32.lo = (float)lo; /* lo and hi are float32 values unless the dtype is float64 */
    p->trunc_normal.f32.hi = (float)hi;
    if (al <= -reach && be >= reach) {
        p->trunc_normal.mode = WI_TM_NORMAL;
        return;
    }
    /* tail probabilities below a and above b, and the mass between, each
     * computed on the side where it is small */
    double pa = phi(al), qb = phi(-be);
    double mass = al >= 0 ? phi(-al) - qb : be <= 0 ? phi(be) - pa : 1.0 - pa - qb;
    p->trunc_normal.f64.below = pa;
    p->trunc_normal.f64.above = qb;
    p->trunc_normal.f64.mass = mass;
    p->trunc_normal.f32.below = (float)pa;
    p->trunc_normal.f32.above = (float)qb;
    p->trunc_normal.f32.mass = (float)mass;
    double smallest = fmin(pa, qb);
    if (dtype != WI_F64 && smallest + 0x1p-33 * mass >= 0x1p-120) {
        /* s = the smaller tail probability lies in [smallest, largest]; SIMD
         * paths evaluate only the pieces it can reach (margins cover rounding) */
        double largest = fmin(0.5, fmin(pa + mass, qb + mass));
        p->trunc_normal.mode = WI_TM_F32;
        p->trunc_normal.pieces = (largest >= WI_F_TQ_S0 * 0.999 ? WI_TQ_CENTRE : 0) |
                                 (largest >= WI_F_TQ_S1 * 0.999 && smallest < WI_F_TQ_S0 * 1.001 ? WI_TQ_MIDDLE : 0) |
                                 (smallest < WI_F_TQ_S1 * 1.001 ? WI_TQ_TAIL : 0);
    }
    else if (smallest + 0x1p-52 * mass >= 0x1p-1000)
        p->trunc_normal.mode = WI_TM_F64;
    else { /* the whole window is far out on one side */
        int right = al > 0;
        p->trunc_normal.mode = WI_TM_FAR;
        p->trunc_normal.tail.edge = right ? al : -be;
        p->trunc_normal.tail.span = -expm1(-p->trunc_normal.tail.edge * (be - al));
        p->trunc_normal.tail.start = right ? a : b;
        p->trunc_normal.tail.scale = right ? sd : -sd;
    }
}

void wi_prepare(const wi_spec *spec, wi_dtype dtype, wi_params *p)
{
    memset(p, 0, sizeof *p);
    wi_philox_schedule((uint32_t)spec->key, (uint32_t)(spec->key >> 32), &p->keys);
    p->stream = spec->stream;
    switch (spec->dist) {
    case WI_UNIFORM: {
        double a = spec->uniform.a, b = spec->uniform.b;
        float a32 = (float)a, b32 = (float)b;
        p->uniform.f32.lo = a32;
        p->uniform.f32.width = (float)(b - a);
        p->uniform.f32.hi = a32 < b32 ? nextafterf(b32, -INFINITY) : a32;
        p->uniform.f64.lo = a;
        p->uniform.f64.width = b - a;
        p->uniform.f64.hi = a < b ? nextafter(b, -INFINITY) : a;
        break;
    }
    case WI_NORMAL:
        p->normal.f32.mean = (float)spec->normal.mean;
        p->normal.f32.std = (float)spec->normal.std;
        p->normal.f64.mean = spec->normal.mean;
        p->normal.f64.std = spec->normal.std;
        break;
    case WI_TRUNC_NORMAL:
        prepare_trunc(spec, dtype, p);
        break;
    case WI_CONSTANT: { /* torch converts double -> float -> half */
        double v = spec->constant.value;
        switch (dtype) {
        case WI_F16: p->constant.bits = wi_f32_to_f16((float)v); break;
        case WI_BF16: p->constant.bits = wi_f32_to_bf16((float)v); break;
        case WI_F32: p->constant.bits = wi_f2u((float)v); break;
        case WI_F64: p->constant.bits = wi_d2u(v); break;
        }
        break;
    }
    }
}
