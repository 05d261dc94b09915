/* Internal: prepared parameters and the kernel table each ISA path fills.
 *
 * A kernel writes the values of logical indices [start, start + n) to a
 * contiguous buffer of the target dtype.  Everything about strides, blocks of
 * larger tensors and (later) threads lives in fill.c, so a kernel only knows
 * its distribution, its dtype and where the range starts.
 */
#ifndef WI_KERNELS_H
#define WI_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "weightinit.h"

/* Parameters after validation, in the precision each dtype computes in. */
typedef struct {
    uint32_t key[2];
    uint32_t stream[2];
    /* uniform: lo, width, largest value below b (or lo when the range is empty);
     * normal: lo = mean, width = std.  f32 is used for f16, bf16 and f32. */
    float lo32, width32, hi32;
    double lo64, width64, hi64;
    /* constant: the value's bits in the target dtype */
    uint64_t bits;
} wi_params;

/* values per Philox block: 4 for 32-bit lanes, 2 for float64 */
#define WI_PER_BLOCK(dtype) ((dtype) == WI_F64 ? 2u : 4u)

typedef void (*wi_gen_fn)(const wi_params *p, uint64_t start, size_t n, void *out);

typedef struct {
    const char *name;
    wi_gen_fn gen[WI_NDIST][WI_NDTYPE];
} wi_kernel_table;

extern const wi_kernel_table wi_kernels_scalar;

/* The table chosen by wi_isa_init / wi_isa_set. */
const wi_kernel_table *wi_kernels(void);

static inline size_t wi_itemsize(wi_dtype dtype) { return dtype == WI_F64 ? 8 : dtype == WI_F32 ? 4 : 2; }

#endif
