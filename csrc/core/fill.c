/* The fill walker, free of any distribution: view and region checks, then
 * the one loop that walks a strided view by logical index (merged
 * dimensions, transposing tiles, chunks over the thread pool) and hands
 * contiguous logical ranges to the active kernel table.  The parameters are
 * checked and prepared in params.c.
 *
 * Every check runs before the first write, so an error leaves memory as it was.
 */
#include <string.h>

#include "kernels.h"
#include "pages.h"
#include "pool.h"

#define WI_CHUNK 512          /* elements staged per strided run piece */
#define WI_PAR_CHUNK (1u << 16) /* elements per parallel task (fixed: results never depend on it) */
#define WI_PAR_MIN (1u << 18)   /* smaller fills stay on the calling thread */
#define WI_NT_BYTES (16u << 20) /* fills this large stream their stores past the caches */
#define WI_TILE_ELEMS 8192u     /* elements per transposing tile (64 KiB of float64) */
#define WI_LIMIT (1ull << 62) /* element counts and byte extents stay below this */

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

wi_status wi_check_view(const wi_view *view)
{
    uint64_t numel;
    return check_view(view, &numel);
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
    /* tiled writes (see fill_tile): the outer dimension with unit memory
     * stride, or -1; rows and columns per tile; tiles along that dimension */
    int tdim;
    int64_t tile_rows, tile_cols;
    uint64_t tiles_per_line;
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

/* buf holds rows x cols values; value (j, i) goes to dst + j * SIZE + i * ms.
 * Fixed-size memcpy compiles to one move and allows unaligned targets. */
#define WI_TRANSPOSE(NAME, SIZE)                                                                  \
    static void NAME(const unsigned char *buf, int64_t rows, int64_t cols, unsigned char *dst,   \
                     int64_t ms)                                                                 \
    {                                                                                            \
        for (int64_t i = 0; i < cols; i++, dst += ms) {                                         \
            const unsigned char *src = buf + (size_t)i * SIZE;                                   \
            for (int64_t j = 0; j < rows; j++, src += (size_t)cols * SIZE)                       \
                memcpy(dst + (size_t)j * SIZE, src, SIZE);                                       \
        }                                                                                        \
    }
WI_TRANSPOSE(transpose_2, 2)
WI_TRANSPOSE(transpose_4, 4)
WI_TRANSPOSE(transpose_8, 8)

static void transpose_out(const plan *pl, const unsigned char *buf, int64_t rows, int64_t cols,
                          unsigned char *dst)
{
    if (pl->itemsize == 2)
        transpose_2(buf, rows, cols, dst, pl->run_ms);
    else if (pl->itemsize == 4)
        transpose_4(buf, rows, cols, dst, pl->run_ms);
    else
        transpose_8(buf, rows, cols, dst, pl->run_ms);
}

/* Transposed layouts: the runs are strided in memory but an outer dimension
 * J has unit stride.  A task generates tile_rows rows of J (tile_cols values
 * of the run each) into a buffer and writes them out along J, so memory is
 * written contiguously.  Task t covers tile t % tiles_per_line of J at the
 * position t / tiles_per_line of the other outer dimensions. */
static void fill_tile(void *ctx, size_t task)
{
    const plan *pl = ctx;
    _Alignas(64) unsigned char buf[WI_TILE_ELEMS * 8];
    int kj = pl->tdim;
    uint64_t rest = task / pl->tiles_per_line;
    int64_t j0 = (int64_t)(task % pl->tiles_per_line) * pl->tile_rows;
    int64_t j1 = j0 + pl->tile_rows < pl->on[kj] ? j0 + pl->tile_rows : pl->on[kj];
    uint64_t logical = pl->base, ls_j = pl->ols[kj];
    unsigned char *ptr = pl->data;

    for (int k = 0; k < pl->nout; k++) {
        if (k == kj)
            continue;
        int64_t i = (int64_t)(rest % (uint64_t)pl->on[k]);
        rest /= (uint64_t)pl->on[k];
        logical += (uint64_t)i * pl->ols[k];
        ptr += i * pl->oms[k];
    }
    for (int64_t i0 = 0; i0 < (int64_t)pl->run_n; i0 += pl->tile_cols) {
        int64_t cols = (int64_t)pl->run_n - i0 < pl->tile_cols ? (int64_t)pl->run_n - i0 : pl->tile_cols;
        if (ls_j == pl->run_n && cols == (int64_t)pl->run_n) /* the rows are one logical range */
            pl->gen(pl->p, logical + (uint64_t)j0 * ls_j, (size_t)((j1 - j0) * cols), buf);
        else
            for (int64_t j = j0; j < j1; j++)
                pl->gen(pl->p, logical + (uint64_t)j * ls_j + (uint64_t)i0, (size_t)cols,
                        buf + (size_t)((j - j0) * cols) * pl->itemsize);
        transpose_out(pl, buf, j1 - j0, cols, ptr + j0 * (int64_t)pl->itemsize + i0 * pl->run_ms);
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
    wi_prepare(spec, v->dtype, &p);
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
    pl.tdim = -1;
    if (first && pl.run_ms != (int64_t)pl.itemsize)
        for (int k = 0; k < pl.nout && pl.tdim < 0; k++)
            if (pl.oms[k] == (int64_t)pl.itemsize)
                pl.tdim = k;
    if (pl.tdim >= 0) {
        int64_t n = (int64_t)pl.run_n;
        /* 128 columns x 64 rows measured best for 4096 x 4096 float32 on Zen 4
         * (columns: whole Philox groups; rows: whole cache lines written) */
        pl.tile_cols = n <= (int64_t)WI_TILE_ELEMS / 64 ? n : 128;
        pl.tile_rows = (int64_t)WI_TILE_ELEMS / pl.tile_cols;
        if (pl.tile_rows > pl.on[pl.tdim])
            pl.tile_rows = pl.on[pl.tdim];
        pl.tiles_per_line = (uint64_t)((pl.on[pl.tdim] + pl.tile_rows - 1) / pl.tile_rows);
        uint64_t tasks = numel / (pl.run_n * (uint64_t)pl.on[pl.tdim]) * pl.tiles_per_line;
        p.nontemporal = 0;
        if (numel < WI_PAR_MIN)
            for (uint64_t t = 0; t < tasks; t++)
                fill_tile(&pl, (size_t)t);
        else
            wi_parallel_for((size_t)tasks, fill_tile, &pl);
        goto done;
    }

    if (pl.nout == 0 && pl.run_ms == (int64_t)pl.itemsize) /* one contiguous run */
        wi_advise_pages(pl.data, (size_t)(numel * pl.itemsize));
    if (numel < WI_PAR_MIN)
        fill_range(&pl, 0, numel);
    else
        wi_parallel_for((size_t)((numel + WI_PAR_CHUNK - 1) / WI_PAR_CHUNK), fill_chunk, &pl);
done:
    return st;
}
