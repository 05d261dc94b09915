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
#include "philox.h"
#include "pool.h"
#include "wimath.h"

#define WI_CHUNK 512          /* elements staged per strided run piece */
#define WI_PAR_CHUNK (1u << 16) /* elements per parallel task (fixed: results never depend on it) */
#define WI_PAR_MIN (1u << 18)   /* smaller fills stay on the calling thread */
#define WI_NT_BYTES (16u << 20) /* fills this large stream their stores past the caches */
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

    uint32_t k0 = (uint32_t)spec->key, k1 = (uint32_t)(spec->key >> 32);

    memset(p, 0, sizeof *p);
    for (int r = 0; r < WI_ROUNDS; r++, k0 += WI_PHILOX_W0, k1 += WI_PHILOX_W1) {
        p->rk0[r] = k0;
        p->rk1[r] = k1;
    }
    p->stream = spec->stream;
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
    }
    for (int d = 0; d < v->ndim; d++) {
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
    /* outer dimensions, innermost first: size, byte stride, logical stride */
    int nout;
    int64_t on[WI_MAX_NDIM], oms[WI_MAX_NDIM];
    uint64_t ols[WI_MAX_NDIM];
    /* runs: run_n consecutive logical indices, byte stride run_ms */
    uint64_t run_n;
    int64_t run_ms;
    uint64_t base;
    unsigned char *data;
    uint64_t numel;
} plan;

/* Values of logical indices [start, start + n) to memory with byte stride ms. */
static void write_run(const plan *pl, uint64_t start, uint64_t n, unsigned char *ptr, int64_t ms)
{
    if (ms == (int64_t)pl->itemsize) {
        pl->gen(pl->p, start, (size_t)n, ptr);
        return;
    }
    _Alignas(64) unsigned char buf[WI_CHUNK * 8];
    for (uint64_t j = 0; j < n; j += WI_CHUNK) {
        size_t m = (size_t)(n - j < WI_CHUNK ? n - j : WI_CHUNK);
        pl->gen(pl->p, start + j, m, buf);
        unsigned char *dst = ptr + (int64_t)j * ms;
        for (size_t k = 0; k < m; k++, dst += ms)
            memcpy(dst, buf + k * pl->itemsize, pl->itemsize);
    }
}

/* Elements [p0, p1) in the view's row-major order (run by run). */
static void fill_range(const plan *pl, uint64_t p0, uint64_t p1)
{
    int64_t idx[WI_MAX_NDIM];
    uint64_t r = p0 / pl->run_n, off = p0 % pl->run_n;
    uint64_t logical = pl->base;
    unsigned char *ptr = pl->data;

    for (int k = 0; k < pl->nout; k++) {
        idx[k] = (int64_t)(r % (uint64_t)pl->on[k]);
        r /= (uint64_t)pl->on[k];
        logical += (uint64_t)idx[k] * pl->ols[k];
        ptr += idx[k] * pl->oms[k];
    }
    while (p0 < p1) {
        uint64_t m = pl->run_n - off < p1 - p0 ? pl->run_n - off : p1 - p0;
        write_run(pl, logical + off, m, ptr + (int64_t)off * pl->run_ms, pl->run_ms);
        p0 += m;
        off = 0;
        if (p0 >= p1)
            break;
        for (int k = 0; k < pl->nout; k++) { /* odometer, innermost first */
            if (++idx[k] < pl->on[k]) {
                logical += pl->ols[k];
                ptr += pl->oms[k];
                break;
            }
            idx[k] = 0;
            logical -= pl->ols[k] * (uint64_t)(pl->on[k] - 1);
            ptr -= pl->oms[k] * (pl->on[k] - 1);
        }
    }
}

static void fill_chunk(void *ctx, size_t chunk)
{
    const plan *pl = ctx;
    uint64_t p0 = (uint64_t)chunk * WI_PAR_CHUNK;
    uint64_t p1 = p0 + WI_PAR_CHUNK < pl->numel ? p0 + WI_PAR_CHUNK : pl->numel;
    fill_range(pl, p0, p1);
}

wi_status wi_fill(const wi_view *v, const wi_region *region, const wi_spec *spec)
{
    wi_status st;
    wi_params p;
    plan pl;
    uint64_t numel, base;
    uint64_t lstride[WI_MAX_NDIM];
    int64_t dn[WI_MAX_NDIM], dms[WI_MAX_NDIM];
    uint64_t dls[WI_MAX_NDIM];
    int nd = 0;

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
    p.nontemporal = numel * wi_itemsize(v->dtype) >= WI_NT_BYTES;

    /* Drop size-1 dimensions, then merge neighbours that are contiguous both
     * in memory and in logical index (walking from the innermost out). */
    for (int d = v->ndim - 1; d >= 0; d--) {
        if (v->shape[d] == 1)
            continue;
        if (nd > 0 && v->strides[d] == dms[nd - 1] * dn[nd - 1] &&
            lstride[d] == dls[nd - 1] * (uint64_t)dn[nd - 1]) {
            dn[nd - 1] *= v->shape[d];
            continue;
        }
        dn[nd] = v->shape[d];
        dms[nd] = v->strides[d];
        dls[nd] = lstride[d];
        nd++;
    }
    /* dn[0] is now the innermost dimension; runs need logical stride 1. */
    int first = nd > 0 && dls[0] == 1;
    pl.gen = wi_kernels()->gen[spec->dist][v->dtype];
    pl.p = &p;
    pl.itemsize = wi_itemsize(v->dtype);
    pl.run_n = first ? (uint64_t)dn[0] : 1;
    pl.run_ms = first ? dms[0] : (int64_t)pl.itemsize;
    pl.nout = nd - first;
    for (int k = 0; k < pl.nout; k++) {
        pl.on[k] = dn[k + first];
        pl.oms[k] = dms[k + first];
        pl.ols[k] = dls[k + first];
    }
    pl.base = base;
    pl.data = v->data;
    pl.numel = numel;

    if (numel < WI_PAR_MIN)
        fill_range(&pl, 0, numel);
    else
        wi_parallel_for((size_t)((numel + WI_PAR_CHUNK - 1) / WI_PAR_CHUNK), fill_chunk, &pl);
done:
    return st;
}
