/* Internal: prepared parameters, the element-to-random-bits mapping, and the
 * kernel table each ISA path fills (kernels_driver.h writes every table from
 * the primitives of one ISA, simd_*.h).
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

#include "philox.h"
#include "weightinit.h"
#include "wimath.h"

#define WI_GROUP32 32u /* elements of a 32-bit dtype per group of 8 blocks */
#define WI_GROUP64 16u /* float64 elements per group */

/* How a trunc normal fill makes its values, chosen per call from the window
 * in standard units [al, be] (so the mapping stays a function of the call):
 *   NORMAL: window wider than every value Box-Muller can reach: normal values;
 *   F32:    inverse CDF in float32 (32-bit dtypes, tail probabilities >= 2^-120);
 *   F64:    inverse CDF in float64, with the float64 element mapping (32-bit
 *           dtypes round the float64 value to float32 first);
 *   FAR:    window beyond float64 tail probabilities (> ~37 sigma out): an
 *           exponential tail from the near edge (float64 mapping).
 * Every mode clamps to [lo, hi], which only rounding can reach. */
typedef enum { WI_TM_NORMAL = 0, WI_TM_F32 = 1, WI_TM_F64 = 2, WI_TM_FAR = 3 } wi_trunc_mode;

/* Parameters after validation (params.c, wi_prepare), in the precision each
 * dtype computes in: f32 for float16, bfloat16 and float32, f64 for float64
 * (and for trunc normal's float64 modes on every dtype).  The union's member
 * is the call's distribution, named as in WI_DISTS. */
typedef struct {
    wi_philox_keys keys; /* round keys of spec.key */
    uint64_t stream;
    int nontemporal; /* the caller allows streaming stores */
    union {
        struct { /* lo + width * u, at most hi: the largest value below b (lo when a == b) */
            struct { float lo, width, hi; } f32;
            struct { double lo, width, hi; } f64;
        } uniform;
        struct {
            struct { float mean, std; } f32;
            struct { double mean, std; } f64;
        } normal;
        struct {
            uint64_t bits; /* the value's bits in the target dtype */
        } constant;
        struct {
            wi_trunc_mode mode; /* how values are made */
            int pieces; /* F32 mode: the quantile pieces the window's s can reach (WI_TQ_*) */
            /* below, above: the probabilities below a and above b; mass: of
             * [a, b]; lo, hi: the clamp bounds, the dtype's values nearest
             * inside [a, b] */
            struct { float mean, std, below, above, mass, lo, hi; } f32;
            struct { double mean, std, below, above, mass, lo, hi; } f64;
            struct { double edge, span, start, scale; } tail; /* FAR mode: see far_pd in kernels_driver.h */
        } trunc_normal;
    };
} wi_params;

/* Validated spec -> parameters of a fill of this dtype (params.c). */
void wi_prepare(const wi_spec *spec, wi_dtype dtype, wi_params *p);

enum { WI_TQ_CENTRE = 1, WI_TQ_MIDDLE = 2, WI_TQ_TAIL = 4 }; /* s >= S0, S1 <= s < S0, s < S1 */

/* Write `count` whole groups, starting at group `group`, to out. */
typedef void (*wi_groups_fn)(const wi_params *p, uint64_t group, size_t count, void *out);

typedef void (*wi_gen_fn)(const wi_params *p, uint64_t start, size_t n, void *out);

/* What a path needs from the CPU and OS (dispatch.c tests them). */
enum {
    WI_CAP_AVX2 = 1u << 0,       /* AVX2 + FMA + F16C, AVX state enabled */
    WI_CAP_AVX512 = 1u << 1,     /* AVX-512 F/DQ/BW/VL, opmask and ZMM state enabled */
    WI_CAP_AVX512BF16 = 1u << 2, /* AVX512_BF16 */
    WI_CAP_NEON = 1u << 3        /* AArch64 Advanced SIMD */
};

typedef struct {
    const char *name;
    unsigned needs; /* WI_CAP_* bits */
    wi_gen_fn gen[WI_NDIST][WI_NDTYPE];
} wi_kernel_table;

/* Every path's table; dispatch.c lists those built for this architecture. */
extern const wi_kernel_table wi_kernels_scalar;
extern const wi_kernel_table wi_kernels_avx2;
extern const wi_kernel_table wi_kernels_avx512;
extern const wi_kernel_table wi_kernels_avx512bf16;
extern const wi_kernel_table wi_kernels_neon;


/* The table chosen by wi_isa_init / wi_isa_set. */
const wi_kernel_table *wi_kernels(void);

/* For the primitive headers and the driver. */
#define WI_ALWAYS_INLINE inline __attribute__((always_inline))
#define WI_UNROLL _Pragma("GCC unroll 16")
#define WI_VPG32 (16 / WI_L32) /* vectors per half group of 32-bit lanes */
#define WI_VPG64 (8 / WI_L64)  /* ... of 64-bit lanes */

/* Philox keys of the primitive layers that broadcast each round key where
 * it is used (portable, NEON): wi_params' own words. */
typedef struct {
    const uint32_t *k0, *k1;
    uint32_t s0, s1; /* the stream's low and high words */
} wi_keys_words;

static inline void wi_keys_words_init(wi_keys_words *k, const wi_params *p)
{
    k->k0 = p->keys.k0;
    k->k1 = p->keys.k1;
    k->s0 = (uint32_t)p->stream;
    k->s1 = (uint32_t)(p->stream >> 32);
}

/* A constant fill: the value's bits in the dtype, n times. */
static inline void wi_constant_fill(const wi_params *p, size_t n, void *out, size_t size)
{
    unsigned char *o = out;
    uint64_t b8 = p->constant.bits;
    uint16_t b2 = (uint16_t)b8;
    uint32_t b4 = (uint32_t)b8;
    for (size_t i = 0; i < n; i++) {
        if (size == 2)
            memcpy(o + 2 * i, &b2, 2);
        else if (size == 4)
            memcpy(o + 4 * i, &b4, 4);
        else
            memcpy(o + 8 * i, &b8, 8);
    }
}

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

/* 32-bit dtypes in the float64 trunc modes: float64 values rounded to float32,
 * then to the dtype. */
static inline void wi_gen_narrowed(wi_groups_fn fn64, const wi_params *p, uint64_t start, size_t n,
                                   unsigned char *out, wi_dtype dtype, uint16_t (*narrow)(float))
{
    double buf[256];
    while (n) {
        size_t m = n < 256 ? n : 256;
        wi_gen_by_groups(fn64, p, start, m, (unsigned char *)buf, WI_GROUP64, 8);
        for (size_t i = 0; i < m; i++) {
            float f = (float)buf[i];
            if (dtype == WI_F32) {
                memcpy(out + 4 * i, &f, 4);
            } else {
                uint16_t h = narrow(f);
                memcpy(out + 2 * i, &h, 2);
            }
        }
        out += m * wi_itemsize(dtype);
        start += m;
        n -= m;
    }
}

#endif
