/* The fill driver: parameter checks (torch's rules), view and region checks,
 * and the one loop that walks a strided view by logical index and hands
 * contiguous logical ranges to the active kernel table.
 *
 * Every check runs before the first write, so an error leaves memory as it was.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "wimath.h"

#define WI_CHUNK 512          /* elements staged per strided run piece */
#define WI_LIMIT (1ull << 62) /* element counts and byte extents stay below this */

static double dtype_max(wi_dtype dtype)
{
    switch (dtype) {
    case WI_F16: return 65504.0;
    case WI_BF16: return 0x1.fep127;
    case WI_F32: return FLT_MAX;
    default: return DBL_MAX;
    }
}

wi_status wi_check_params(const wi_spec *spec, wi_dtype dtype)
{
    wi_status st = WI_OK;
    double max = dtype_max(dtype);
    double a = spec->p0, b = spec->p1;

    if ((unsigned)dtype >= WI_NDTYPE) {
        st = WI_E_DTYPE;
        goto done;
    }
    switch (spec->dist) {
    case WI_UNIFORM: /* torch's check_uniform_bounds, in its order */
        if (!(a >= -max && a <= max))
            st = WI_E_FROM_RANGE;
        else if (!(b >= -max && b <= max))
            st = WI_E_TO_RANGE;
        else if (!(a <= b))
            st = WI_E_FROM_GT_TO;
        else if (!(b - a <= max))
            st = WI_E_WIDTH;
        break;
    case WI_NORMAL:
        if (!(b >= 0.0))
            st = WI_E_STD;
        break;
    case WI_CONSTANT: /* infinities and NaN convert; finite values must fit */
        if (isfinite(a) && (a < -max || a > max))
            st = WI_E_CONST_OVERFLOW;
        break;
    default:
        st = WI_E_DTYPE;
    }
done:
    return st;
}

static void prepare(const wi_spec *spec, wi_dtype dtype, wi_params *p)
{
    double a = spec->p0, b = spec->p1;

    memset(p, 0, sizeof *p);
    p->key[0] = (uint32_t)spec->key;
    p->key[1] = (uint32_t)(spec->key >> 32);
    p->stream[0] = (uint32_t)spec->stream;
    p->stream[1] = (uint32_t)(spec->stream >> 32);
    switch (spec->dist) {
    case WI_UNIFORM: {
        float a32 = (float)a, b32 = (float)b;
        p->lo32 = a32;
        p->width32 = (float)(b - a);
        p->hi32 = a32 < b32 ? nextafterf(b32, -INFINITY) : a32;
        p->lo64 = a;
        p->width64 = b - a;
        p->hi64 = a < b ? nextafter(b, -INFINITY) : a;
        break;
    }
    case WI_NORMAL:
        p->lo32 = (float)a;
        p->width32 = (float)b;
        p->lo64 = a;
        p->width64 = b;
        break;
    default: /* constant: torch converts double -> float -> half */
        switch (dtype) {
        case WI_F16: p->bits = wi_f32_to_f16((float)a); break;
        case WI_BF16: p->bits = wi_f32_to_bf16((float)a); break;
        case WI_F32: p->bits = wi_f2u((float)a); break;
        default: p->bits = wi_d2u(a); break;
        }
    }
}

static uint64_t uabs64(int64_t x) { return x < 0 ? 0 - (uint64_t)x : (uint64_t)x; }

/* Shapes, element count, and no two elements sharing memory. */
static wi_status check_view(const wi_view *v, uint64_t *numel)
{
    wi_status st = WI_OK;
    uint64_t count = 1, reach;
    uint64_t span[WI_MAX_NDIM], len[WI_MAX_NDIM];
    int nd = 0;

    if (v->ndim < 0 || v->ndim > WI_MAX_NDIM) {
        st = WI_E_NDIM;
        goto done;
    }
    if ((unsigned)v->dtype >= WI_NDTYPE) {
        st = WI_E_DTYPE;
        goto done;
    }
    for (int d = 0; d < v->ndim; d++) {
        if (v->shape[d] < 0) {
            st = WI_E_NDIM;
            goto done;
        }
        if (v->shape[d] == 0) {
            count = 0;
            goto done; /* nothing is written, so nothing can overlap */
        }
    }
    for (int d = 0; d < v->ndim; d++) {
        uint64_t n = (uint64_t)v->shape[d];
        if (count > WI_LIMIT / n) {
            st = WI_E_TOO_BIG;
            goto done;
        }
        count *= n;
        if (n == 1)
            continue;
        if (v->strides[d] == 0) {
            st = WI_E_OVERLAP;
            goto done;
        }
        /* insertion sort by |stride| */
        int k = nd++;
        uint64_t s = uabs64(v->strides[d]);
        while (k > 0 && span[k - 1] > s) {
            span[k] = span[k - 1];
            len[k] = len[k - 1];
            k--;
        }
        span[k] = s;
        len[k] = n;
    }
    /* Each stride must step past everything the smaller dimensions reach. */
    reach = wi_itemsize(v->dtype);
    for (int k = 0; k < nd; k++) {
        if (span[k] < reach) {
            st = WI_E_MAYBE_OVERLAP;
            goto done;
        }
        if (span[k] > WI_LIMIT / (len[k] - 1)) {
            st = WI_E_TOO_BIG;
            goto done;
        }
        reach += span[k] * (len[k] - 1);
        if (reach > WI_LIMIT) {
            st = WI_E_TOO_BIG;
            goto done;
        }
    }
done:
    *numel = count;
    return st;
}

/* Logical row-major strides of the full tensor, and the block's first index. */
static wi_status check_region(const wi_view *v, const wi_region *r, uint64_t *lstride, uint64_t *base)
{
    wi_status st = WI_OK;
    uint64_t acc = 1, first = 0;

    for (int d = v->ndim - 1; d >= 0; d--) {
        int64_t full = r ? r->full_shape[d] : v->shape[d];
        int64_t off = r ? r->offset[d] : 0;
        if (full < 0 || off < 0 || off > full || v->shape[d] > full - off) {
            st = WI_E_REGION;
            goto done;
        }
        lstride[d] = acc;
        first += (uint64_t)off * acc; /* bounded by acc * full below */
        if (full != 0 && acc > WI_LIMIT / (uint64_t)full) {
            st = WI_E_TOO_BIG;
            goto done;
        }
        acc *= (uint64_t)full;
    }
    *base = first;
done:
    return st;
}

typedef struct {
    wi_gen_fn gen;
    const wi_params *p;
    size_t itemsize;
} run_ctx;

/* Values of logical indices [start, start + n) to memory with byte stride ms. */
static void write_run(const run_ctx *c, uint64_t start, uint64_t n, unsigned char *ptr, int64_t ms)
{
    if (ms == (int64_t)c->itemsize) {
        c->gen(c->p, start, (size_t)n, ptr);
        return;
    }
    _Alignas(64) unsigned char buf[WI_CHUNK * 8];
    for (uint64_t j = 0; j < n; j += WI_CHUNK) {
        size_t m = (size_t)(n - j < WI_CHUNK ? n - j : WI_CHUNK);
        c->gen(c->p, start + j, m, buf);
        unsigned char *dst = ptr + (int64_t)j * ms;
        for (size_t k = 0; k < m; k++, dst += ms)
            memcpy(dst, buf + k * c->itemsize, c->itemsize);
    }
}

wi_status wi_fill(const wi_view *v, const wi_region *region, const wi_spec *spec)
{
    wi_status st;
    wi_params p;
    uint64_t numel, base;
    uint64_t lstride[WI_MAX_NDIM];
    int64_t on[WI_MAX_NDIM], oms[WI_MAX_NDIM];
    uint64_t ols[WI_MAX_NDIM];
    int nout = 0;

    st = wi_check_params(spec, v->dtype);
    if (st != WI_OK)
        goto done;
    st = check_view(v, &numel);
    if (st != WI_OK || numel == 0)
        goto done;
    st = check_region(v, region, lstride, &base);
    if (st != WI_OK)
        goto done;
    prepare(spec, v->dtype, &p);

    /* Drop size-1 dimensions, then merge neighbours that are contiguous both
     * in memory and in logical index (walking from the innermost out). */
    for (int d = v->ndim - 1; d >= 0; d--) {
        if (v->shape[d] == 1)
            continue;
        if (nout > 0 && v->strides[d] == oms[nout - 1] * on[nout - 1] &&
            lstride[d] == ols[nout - 1] * (uint64_t)on[nout - 1]) {
            on[nout - 1] *= v->shape[d];
            continue;
        }
        on[nout] = v->shape[d];
        oms[nout] = v->strides[d];
        ols[nout] = lstride[d];
        nout++;
    }
    /* on[0] is now the innermost dimension.  Runs need logical stride 1. */
    int64_t run_n = 1, run_ms = (int64_t)wi_itemsize(v->dtype);
    int first_outer = 0;
    if (nout > 0 && ols[0] == 1) {
        run_n = on[0];
        run_ms = oms[0];
        first_outer = 1;
    }

    run_ctx ctx = {wi_kernels()->gen[spec->dist][v->dtype], &p, wi_itemsize(v->dtype)};
    int64_t idx[WI_MAX_NDIM] = {0};
    uint64_t runs = numel / (uint64_t)run_n;
    uint64_t logical = base;
    unsigned char *ptr = v->data;
    for (uint64_t r = 0; r < runs; r++) {
        write_run(&ctx, logical, (uint64_t)run_n, ptr, run_ms);
        /* odometer over the outer dimensions, innermost first */
        for (int k = first_outer; k < nout; k++) {
            if (++idx[k] < on[k]) {
                logical += ols[k];
                ptr += oms[k];
                break;
            }
            idx[k] = 0;
            logical -= ols[k] * (uint64_t)(on[k] - 1);
            ptr -= oms[k] * (on[k] - 1);
        }
    }
done:
    return st;
}
