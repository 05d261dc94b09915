/* libFuzzer harness for the C core's entry point wi_fill (built and run by
 * tests/test_fuzz_native.py with clang -fsanitize=fuzzer,address,undefined).
 *
 * Each input is decoded into a view (dtype, up to 7 dimensions or a bogus
 * ndim, sizes, byte strides that may be negative, zero, unaligned,
 * overlapping or huge), an optional region (full shape and offset), a spec
 * (every distribution below WI_NDIST or an invalid code; the parameter
 * union's bytes as four raw doubles, some near the edges of each rule, of
 * which the distribution reads its own member; key, stream) and a kernel
 * path.  Properties, beyond "no sanitizer report":
 *   - the parameters are judged by params_ok, the rules of weightinit.h
 *     restated here: bad ones are refused with a parameter status whatever
 *     the view, good ones never get one; invalid dtypes and distributions
 *     are refused;
 *   - a view whose byte footprint fits the buffer is placed inside a buffer
 *     of random bytes with guard bytes around it; after wi_fill nothing
 *     outside the footprint changed, and on an error nothing changed at all;
 *   - wi_fill accepts no view in which two elements share a byte;
 *   - an accepted view gets, element by element, the values a contiguous
 *     fill of the same logical shape gets on the scalar path (the layout
 *     contract, and every SIMD path against the scalar one), with only the
 *     distribution's own parameters set (the union's other bytes zero);
 *   - uniform values are finite; trunc normal values lie in [a, b] (or, for
 *     a window holding no value of the dtype, are all one value);
 *   - views too large to place are only passed when the core must refuse
 *     them (element count or extent beyond 2^62), and must be refused.
 * Build with -DWI_FUZZ_TRACE to print what each input decodes to.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weightinit.h"

#define MAX_BYTES (1u << 16) /* footprint limit for placed views */
#define GUARD 64

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t take(reader *r, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)(r->n ? *r->p : 0) << (8 * i);
        if (r->n) {
            r->p++;
            r->n--;
        }
    }
    return v;
}

static size_t itemsize(int dtype) { return dtype == WI_F64 ? 8 : dtype == WI_F32 ? 4 : 2; }

/* A size: mostly small, sometimes 0, 1, huge or negative. */
static int64_t take_size(reader *r)
{
    uint8_t k = (uint8_t)take(r, 1);
    if (k < 200)
        return k % 9;
    if (k < 230)
        return (int64_t)(take(r, 1) + 1);
    if (k < 250)
        return (int64_t)take(r, 8) >> (take(r, 1) % 64);
    return -(int64_t)(take(r, 1) + 1);
}

/* A byte stride: a multiple of the item size (often), else anything. */
static int64_t take_stride(reader *r, size_t isz)
{
    uint8_t k = (uint8_t)take(r, 1);
    if (k < 160)
        return ((int64_t)(take(r, 1) % 41) - 20) * (int64_t)isz;
    if (k < 200)
        return (int64_t)(int8_t)take(r, 1);
    return (int64_t)take(r, 8) >> (take(r, 1) % 64);
}

static double take_param(reader *r)
{
    /* the first 16 keep their places: older corpus inputs index them */
    static const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e-300, 65504.0, 65520.0,
                                     3.4028234663852886e38, 3.5e38, 1.7976931348623157e308,
                                     -1.7976931348623157e308, __builtin_inf(), -__builtin_inf(),
                                     __builtin_nan(""), 2.0, -2.0, 0.02, 5.0, 6.0, 40.0, -41.0, 1e-30,
                                     -65504.0, 0x1.fep127, 0x1.ffp127, -3.4028234663852886e38, 0x1p-149,
                                     0x1p-1074};
    uint8_t k = (uint8_t)take(r, 1);
    if (k < 128)
        return special[k % (sizeof special / sizeof special[0])];
    if (k < 192)
        return ((double)(int8_t)take(r, 1)) / 16.0;
    uint64_t bits = take(r, 8);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

#define SAT ((__int128)1 << 100) /* saturation: far beyond any limit the core accepts */

static __int128 sat(__int128 x) { return x > SAT ? SAT : x < -SAT ? -SAT : x; }

/* [lo, hi) byte offsets of the view relative to data, and its element count,
 * in saturating 128-bit arithmetic. */
static void extent(int nd, const int64_t *shape, const int64_t *strides, size_t isz, __int128 *lo,
                   __int128 *hi, __int128 *numel)
{
    __int128 l = 0, h = 0, n = 1;
    for (int d = 0; d < nd; d++) {
        __int128 reach = sat((__int128)(shape[d] - 1) * strides[d]);
        if (reach < 0)
            l = sat(l + reach);
        else
            h = sat(h + reach);
        n = shape[d] != 0 && n > SAT / shape[d] ? SAT : n * shape[d];
    }
    *lo = l;
    *hi = h + (__int128)isz;
    *numel = n;
}

/* Invalid distribution codes (WI_NDIST and beyond, negative). */
static const int bad_dists[] = {WI_NDIST, WI_NDIST + 1, WI_NDIST + 100, -1, -2147483647 - 1, 2147483647};

static double dtype_max(int dtype)
{
    return dtype == WI_F16 ? 65504.0 : dtype == WI_BF16 ? 0x1.fep127 : dtype == WI_F32 ? FLT_MAX : DBL_MAX;
}

/* The parameter rules of weightinit.h (torch's), written independently of
 * the core: does wi_fill accept these parameters for this dtype? */
static int params_ok(int dist, int dtype, const wi_spec *s)
{
    double max = dtype_max(dtype);
    switch (dist) {
    case WI_UNIFORM: { /* a, b in range, a <= b, b - a in range */
        double a = s->uniform.a, b = s->uniform.b;
        return a >= -max && a <= max && b >= -max && b <= max && a <= b && b - a <= max;
    }
    case WI_NORMAL: /* std >= 0; any mean */
        return s->normal.std >= 0.0;
    case WI_CONSTANT: /* infinities and NaN convert; finite values must fit */
        return !isfinite(s->constant.value) || (s->constant.value >= -max && s->constant.value <= max);
    case WI_TRUNC_NORMAL: /* finite mean and std > 0; a <= b; [a, b] meets the finite range */
        return isfinite(s->trunc_normal.mean) && isfinite(s->trunc_normal.std) && s->trunc_normal.std > 0.0 &&
               s->trunc_normal.a <= s->trunc_normal.b && s->trunc_normal.a <= max && s->trunc_normal.b >= -max;
    default:
        fprintf(stderr, "fuzz_fill.c: params_ok knows no rules for distribution %d: add them\n", dist);
        abort();
    }
}

/* s with only its distribution's member of the parameter union (the rest zero). */
static wi_spec own_params(const wi_spec *s)
{
    wi_spec o;
    memset(&o, 0, sizeof o);
    o.dist = s->dist;
    o.key = s->key;
    o.stream = s->stream;
    switch ((int)s->dist) {
    case WI_UNIFORM: o.uniform = s->uniform; break;
    case WI_NORMAL: o.normal = s->normal; break;
    case WI_CONSTANT: o.constant = s->constant; break;
    case WI_TRUNC_NORMAL: o.trunc_normal = s->trunc_normal; break;
    default:
        fprintf(stderr, "fuzz_fill.c: own_params knows no member for distribution %d: add it\n", (int)s->dist);
        abort();
    }
    return o;
}

static int is_param_status(wi_status st)
{
    return st == WI_E_FROM_RANGE || st == WI_E_TO_RANGE || st == WI_E_FROM_GT_TO || st == WI_E_WIDTH ||
           st == WI_E_STD || st == WI_E_CONST_OVERFLOW || st == WI_E_TRUNC;
}

typedef struct {
    int known;  /* dtype and distribution are valid codes */
    int params; /* params_ok */
} verdict;

/* What every wi_fill status must agree with, whatever the view. */
static void check_status(wi_status st, verdict want)
{
    if (!want.known) {
        if (st == WI_OK)
            abort(); /* an invalid dtype or distribution accepted */
    } else if (is_param_status(st) != !want.params) {
        abort(); /* bad parameters not refused as such, or good ones refused */
    }
}

/* Call wi_fill on a view the core must refuse, with memory it must not touch. */
static void must_refuse(wi_view *v, const wi_region *region, const wi_spec *spec, verdict want)
{
    unsigned char *one = malloc(1); /* any write is a heap overflow or a changed byte */
    one[0] = 0xA5;
    v->data = one;
    wi_status st = wi_fill(v, region, spec);
    if (st == WI_OK || one[0] != 0xA5)
        abort();
    check_status(st, want);
    free(one);
}

static double value_at(const unsigned char *p, int dtype)
{
    uint16_t h;
    uint32_t u;
    float f;
    double d;
    switch (dtype) {
    case WI_F64:
        memcpy(&d, p, 8);
        return d;
    case WI_F32:
        memcpy(&f, p, 4);
        return f;
    case WI_BF16:
        memcpy(&h, p, 2);
        u = (uint32_t)h << 16;
        memcpy(&f, &u, 4);
        return f;
    default: {
        memcpy(&h, p, 2);
        int e = (h >> 10) & 0x1F, m = h & 0x3FF;
        d = e == 0x1F ? (m ? NAN : INFINITY) : e ? ldexp(1024 + m, e - 25) : ldexp(m, -24);
        return (h >> 15) ? -d : d;
    }
    }
}

/* Properties of the values themselves, on a contiguous fill of n elements. */
static void check_values(const unsigned char *vals, size_t n, size_t isz, int dtype, int dist, const wi_spec *s)
{
    if (dist == WI_UNIFORM) {
        for (size_t e = 0; e < n; e++)
            if (!isfinite(value_at(vals + e * isz, dtype)))
                abort();
    } else if (dist == WI_TRUNC_NORMAL) {
        int inside = 1, same = 1;
        for (size_t e = 0; e < n; e++) {
            double v = value_at(vals + e * isz, dtype);
            inside &= v >= s->trunc_normal.a && v <= s->trunc_normal.b;
            same &= memcmp(vals + e * isz, vals, isz) == 0 && !isnan(v);
        }
        if (!inside && !same)
            abort(); /* a value outside [a, b] although values differ (so some lie inside) */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    int64_t shape[8], strides[8], full[8], off[8];
    const char *names[4];
    int nisa = wi_isa_available(names, 4);

    uint8_t head = (uint8_t)take(&r, 1);
    int nd = head % 8;
    int dtype = (int)(take(&r, 1) % 5); /* 4: an invalid dtype */
    if (dtype == 4)
        dtype = 4 + (int)(take(&r, 1) % 3);
    size_t isz = itemsize(dtype);
    for (int d = 0; d < nd; d++) {
        shape[d] = take_size(&r);
        strides[d] = take_stride(&r, isz);
    }
    int bogus_ndim = head >= 250; /* ndim beyond WI_MAX_NDIM or negative */
    int has_region = take(&r, 1) & 1;
    for (int d = 0; d < nd; d++) {
        uint8_t k = (uint8_t)take(&r, 1);
        if (k < 200) {
            off[d] = k % 4;
            full[d] = shape[d] + off[d] + (int64_t)(take(&r, 1) % 4);
        } else {
            off[d] = (int64_t)take(&r, 8) >> (take(&r, 1) % 64);
            full[d] = (int64_t)take(&r, 8) >> (take(&r, 1) % 64);
        }
    }
    /* the parameter union as raw doubles q (its bytes: each distribution reads
     * its own member, trunc normal all four as mean, std, a, b) */
    double q[4];
    _Static_assert(offsetof(wi_spec, key) - offsetof(wi_spec, uniform) == sizeof q,
                   "the parameter union is no longer 4 doubles: decode what it holds");
    wi_spec spec;
    uint8_t dk = (uint8_t)take(&r, 1);
    int dist = dk < 224 ? dk % WI_NDIST : bad_dists[dk % (sizeof bad_dists / sizeof bad_dists[0])];
    spec.dist = (wi_dist)dist;
    q[0] = take_param(&r);
    q[1] = take_param(&r);
    spec.key = take(&r, 8);
    spec.stream = take(&r, 8);
    int isa = (int)(take(&r, 1) % (unsigned)nisa);
    /* read last (inputs that end earlier get 0, 0): q[2], and q[3] often a window above it */
    q[2] = take_param(&r);
    q[3] = take(&r, 1) < 128 ? q[2] + fabs(take_param(&r)) : take_param(&r);
    memcpy((unsigned char *)&spec + offsetof(wi_spec, uniform), q, sizeof q);

    wi_region region = {full, off};
    wi_view v = {NULL, (wi_dtype)dtype, nd, shape, strides};
    const wi_region *reg = has_region ? &region : NULL;
    verdict want = {dtype < WI_NDTYPE && dist >= 0 && dist < WI_NDIST, 0};
    want.params = want.known && params_ok(dist, dtype, &spec);
#ifdef WI_FUZZ_TRACE
    fprintf(stderr, "ndim %d%s dtype %d dist %d q (%g, %g, %g, %g) region %d isa %s known %d params %d\n", nd,
            bogus_ndim ? " (bogus)" : "", dtype, dist, q[0], q[1], q[2], q[3], has_region, names[isa], want.known,
            want.params);
#endif
    if (bogus_ndim) {
        /* shape/strides hold 8 entries: the core must refuse before reading more */
        v.ndim = head == 255 ? -1 : WI_MAX_NDIM + 1;
        must_refuse(&v, NULL, &spec, want);
        return 0;
    }
    for (int d = 0; d < nd; d++) {
        if (shape[d] < 0) {
            must_refuse(&v, reg, &spec, want);
            return 0;
        }
    }

    __int128 lo, hi, numel;
    extent(nd, shape, strides, isz, &lo, &hi, &numel);
    if (numel == 0) {
        v.data = NULL; /* nothing may be touched */
        check_status(wi_fill(&v, reg, &spec), want);
        return 0;
    }
    if (hi - lo > MAX_BYTES) {
        /* too large to place: pass it only when the core must refuse it */
        if (!want.params || numel > ((__int128)1 << 62) || hi - lo > ((__int128)1 << 62))
            must_refuse(&v, reg, &spec, want);
        return 0;
    }
    if (numel * (__int128)isz > hi - lo) {
        /* more element bytes than the span holds: two elements share memory */
        must_refuse(&v, reg, &spec, want);
        return 0;
    }

    size_t span = (size_t)(hi - lo), total = span + 2 * GUARD;
    unsigned char *buf = malloc(total), *before = malloc(total), *mask = calloc(total, 1);
    for (size_t i = 0; i < total; i++)
        buf[i] = (unsigned char)(i * 131u + size);
    memcpy(before, buf, total);
    unsigned char *origin = buf + GUARD - (ptrdiff_t)lo;
    v.data = origin;

    /* footprint and overlap, by enumerating the elements (at most MAX_BYTES / 2 of them) */
    int overlap = 0;
    int64_t idx[8] = {0};
    size_t count = (size_t)numel;
    int64_t *offs = malloc(count * sizeof *offs);
    for (size_t e = 0; e < count; e++) {
        int64_t o = 0;
        for (int d = 0; d < nd; d++)
            o += idx[d] * strides[d];
        offs[e] = o;
        for (size_t b = 0; b < isz; b++) {
            unsigned char *m = &mask[(size_t)(origin - buf + o) + b];
            overlap |= *m;
            *m = 1;
        }
        for (int d = nd - 1; d >= 0; d--) { /* row-major odometer */
            if (++idx[d] < shape[d])
                break;
            idx[d] = 0;
        }
    }

    if (wi_isa_set(names[isa]) != WI_OK)
        abort();
    wi_status st = wi_fill(&v, reg, &spec);
    wi_isa_set("scalar");
    check_status(st, want);

    for (size_t i = 0; i < total; i++) {
        if (buf[i] != before[i] && (st != WI_OK || !mask[i]))
            abort(); /* written outside the view, or written and then refused */
    }
    if (st == WI_OK) {
        if (overlap)
            abort(); /* accepted a view whose elements share memory */
        /* the same values as a contiguous fill of the same logical shape, on
         * the scalar path, with only the distribution's own parameters */
        int64_t cstrides[8];
        size_t acc = isz;
        for (int d = nd - 1; d >= 0; d--) {
            cstrides[d] = (int64_t)acc;
            acc *= (size_t)shape[d];
        }
        unsigned char *ref = malloc(count * isz);
        wi_view c = {ref, (wi_dtype)dtype, nd, shape, cstrides};
        wi_spec plain = own_params(&spec);
        if (wi_fill(&c, reg, &plain) != WI_OK)
            abort();
        for (size_t e = 0; e < count; e++) {
            if (memcmp(origin + offs[e], ref + e * isz, isz) != 0)
                abort();
        }
        check_values(ref, count, isz, dtype, dist, &spec);
        free(ref);
    }
    free(offs);
    free(mask);
    free(before);
    free(buf);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    wi_isa_init();
    wi_set_num_threads(1);
    return 0;
}
