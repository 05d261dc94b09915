/* Internal: prepared parameters, the element-to-random-bits mapping, and the
 * kernel table each ISA path fills.
 *
 * A kernel writes the values of logical indices [start, start + n) to a
 * contiguous buffer of the target dtype.  Everything about strides, blocks of
 * larger tensors and threads lives in fill.c, so a kernel only knows its
 * distribution, its dtype and where the range starts.
 *
 * Mapping (the same on every path).  Group g uses the 8 Philox blocks
 * 8g .. 8g+7 (counter = {block_lo, block_hi, stream_lo, stream_hi}).  Block j
 * gives words r0..r3; X_j = r0 | r1 << 32 and Y_j = r2 | r3 << 32 are the two
 * 64-bit halves of its output, and xw[0..15] = r0(0), r1(0), r0(1), r1(1), ...
 * (yw likewise from r2, r3) are X and Y read as 32-bit words.
 *   32-bit dtypes, 32 elements per group, element 32g + l for l < 16:
 *     uniform: element l from xw[l], element 16 + l from yw[l];
 *     normal:  radius from xw[l], angle from yw[l]; l gets r cos, 16 + l gets r sin.
 *   float64, 16 elements per group, element 16g + j for j < 8:
 *     uniform: element j from X_j, element 8 + j from Y_j;
 *     normal:  radius from X_j, angle from Y_j; j gets r cos, 8 + j gets r sin.
 * This is the order a SIMD Philox produces its lanes in, so no path shuffles.
 */
#ifndef WI_KERNELS_H
#define WI_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "weightinit.h"

#define WI_GROUP32 32u /* elements of a 32-bit dtype per group of 8 blocks */
#define WI_GROUP64 16u /* float64 elements per group */
#define WI_ROUNDS 10

/* Parameters after validation, in the precision each dtype computes in. */
typedef struct {
    uint32_t rk0[WI_ROUNDS], rk1[WI_ROUNDS]; /* Philox round keys */
    uint64_t stream;
    /* uniform: lo, width, largest value below b (or lo when the range is empty);
     * normal: lo = mean, width = std.  f32 is used for f16, bf16 and f32. */
    float lo32, width32, hi32;
    double lo64, width64, hi64;
    /* constant: the value's bits in the target dtype */
    uint64_t bits;
    int nontemporal; /* the caller allows streaming stores */
} wi_params;

/* Write `count` whole groups, starting at group `group`, to out. */
typedef void (*wi_groups_fn)(const wi_params *p, uint64_t group, size_t count, void *out);

typedef void (*wi_gen_fn)(const wi_params *p, uint64_t start, size_t n, void *out);

typedef struct {
    const char *name;
    wi_gen_fn gen[WI_NDIST][WI_NDTYPE];
} wi_kernel_table;

extern const wi_kernel_table wi_kernels_scalar;
extern const wi_kernel_table wi_kernels_avx2;
extern const wi_kernel_table wi_kernels_avx512;

/* Constant fills (no random bits; shared by every path). */
void wi_constant_2(const wi_params *p, uint64_t start, size_t n, void *out);
void wi_constant_4(const wi_params *p, uint64_t start, size_t n, void *out);
void wi_constant_8(const wi_params *p, uint64_t start, size_t n, void *out);

/* The table chosen by wi_isa_init / wi_isa_set. */
const wi_kernel_table *wi_kernels(void);

static inline size_t wi_itemsize(wi_dtype dtype) { return dtype == WI_F64 ? 8 : dtype == WI_F32 ? 4 : 2; }

static inline size_t wi_group_len(wi_dtype dtype) { return dtype == WI_F64 ? WI_GROUP64 : WI_GROUP32; }

/* [start, start + n) by whole groups: partial groups at either end go
 * through a one-group buffer. */
static inline void wi_gen_by_groups(wi_groups_fn fn, const wi_params *p, uint64_t start, size_t n,
                                    unsigned char *out, size_t glen, size_t isz)
{
    _Alignas(64) unsigned char tmp[WI_GROUP32 * 8];
    uint64_t g = start / glen;
    size_t off = (size_t)(start % glen);

    if (off) {
        size_t m = glen - off < n ? glen - off : n;
        fn(p, g, 1, tmp);
        memcpy(out, tmp + off * isz, m * isz);
        out += m * isz;
        n -= m;
        g++;
    }
    if (n >= glen) {
        size_t full = n / glen;
        fn(p, g, full, out);
        out += full * glen * isz;
        g += full;
        n -= full * glen;
    }
    if (n) {
        fn(p, g, 1, tmp);
        memcpy(out, tmp, n * isz);
    }
}

/* The kernel table entries of one ISA, from its group functions
 * <prefix>_uniform_f32 ... <prefix>_normal_f64. */
#define WI_DEFINE_TABLE(TABLE, NAME, PFX)                                                      \
    static void PFX##_gen_uniform_f16(const wi_params *p, uint64_t s, size_t n, void *o)      \
    { wi_gen_by_groups(PFX##_uniform_f16, p, s, n, o, WI_GROUP32, 2); }                        \
    static void PFX##_gen_uniform_bf16(const wi_params *p, uint64_t s, size_t n, void *o)     \
    { wi_gen_by_groups(PFX##_uniform_bf16, p, s, n, o, WI_GROUP32, 2); }                       \
    static void PFX##_gen_uniform_f32(const wi_params *p, uint64_t s, size_t n, void *o)      \
    { wi_gen_by_groups(PFX##_uniform_f32, p, s, n, o, WI_GROUP32, 4); }                        \
    static void PFX##_gen_uniform_f64(const wi_params *p, uint64_t s, size_t n, void *o)      \
    { wi_gen_by_groups(PFX##_uniform_f64, p, s, n, o, WI_GROUP64, 8); }                        \
    static void PFX##_gen_normal_f16(const wi_params *p, uint64_t s, size_t n, void *o)       \
    { wi_gen_by_groups(PFX##_normal_f16, p, s, n, o, WI_GROUP32, 2); }                         \
    static void PFX##_gen_normal_bf16(const wi_params *p, uint64_t s, size_t n, void *o)      \
    { wi_gen_by_groups(PFX##_normal_bf16, p, s, n, o, WI_GROUP32, 2); }                        \
    static void PFX##_gen_normal_f32(const wi_params *p, uint64_t s, size_t n, void *o)       \
    { wi_gen_by_groups(PFX##_normal_f32, p, s, n, o, WI_GROUP32, 4); }                         \
    static void PFX##_gen_normal_f64(const wi_params *p, uint64_t s, size_t n, void *o)       \
    { wi_gen_by_groups(PFX##_normal_f64, p, s, n, o, WI_GROUP64, 8); }                         \
    const wi_kernel_table TABLE = {                                                            \
        NAME,                                                                                  \
        {                                                                                      \
            [WI_UNIFORM] = {[WI_F16] = PFX##_gen_uniform_f16, [WI_BF16] = PFX##_gen_uniform_bf16, \
                            [WI_F32] = PFX##_gen_uniform_f32, [WI_F64] = PFX##_gen_uniform_f64}, \
            [WI_NORMAL] = {[WI_F16] = PFX##_gen_normal_f16, [WI_BF16] = PFX##_gen_normal_bf16,  \
                           [WI_F32] = PFX##_gen_normal_f32, [WI_F64] = PFX##_gen_normal_f64},   \
            [WI_CONSTANT] = {[WI_F16] = wi_constant_2, [WI_BF16] = wi_constant_2,               \
                             [WI_F32] = wi_constant_4, [WI_F64] = wi_constant_8},               \
        },                                                                                     \
    }

#endif
