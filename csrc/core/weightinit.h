/* weightinit core: the public C11 interface.
 *
 * Everything here is plain C over a small view struct; nothing includes
 * Python.h.  The CPython binding (csrc/binding) turns NumPy arrays, DLPack
 * capsules and torch tensors into wi_view values and maps the status codes
 * below to Python exceptions.
 *
 * Reproducibility contract: the value written to an element is a pure function
 * of (key, stream, the element's row-major index in the full logical tensor,
 * distribution, parameters, dtype).  float16/bfloat16 values are the
 * round-to-nearest-even of the float32 value for the same index.
 */
#ifndef WEIGHTINIT_H
#define WEIGHTINIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WI_MAX_NDIM 64

/* The dtypes and the distributions, one list each: X(NAME, name, ...) for
 * every entry, in code order.  The enums below, every kernel table
 * (kernels_driver.h) and the constants of the Python binding are generated
 * from them, so an entry added here fails to build until every path has it. */
#define WI_DTYPES(X, ...) X(F16, f16, __VA_ARGS__) X(BF16, bf16, __VA_ARGS__) X(F32, f32, __VA_ARGS__) \
    X(F64, f64, __VA_ARGS__)
#define WI_DISTS(X, ...) X(UNIFORM, uniform, __VA_ARGS__) X(NORMAL, normal, __VA_ARGS__) \
    X(CONSTANT, constant, __VA_ARGS__) X(TRUNC_NORMAL, trunc_normal, __VA_ARGS__)

#define WI_ENUMERATOR_(NAME, name, ...) WI_##NAME,
#define WI_COUNT_(NAME, name, ...) +1
typedef enum { WI_DTYPES(WI_ENUMERATOR_, ) } wi_dtype;
typedef enum { WI_DISTS(WI_ENUMERATOR_, ) } wi_dist;
/* counts, kept out of the enums so that a switch must name every entry */
enum { WI_NDTYPE = 0 WI_DTYPES(WI_COUNT_, ), WI_NDIST = 0 WI_DISTS(WI_COUNT_, ) };

typedef enum {
    WI_OK = 0,
    WI_E_NDIM,          /* more than WI_MAX_NDIM dimensions, or a negative size */
    WI_E_DTYPE,         /* dtype not one of wi_dtype */
    WI_E_OVERLAP,       /* a stride of 0 on a dimension longer than 1 */
    WI_E_MAYBE_OVERLAP, /* strides that may make two elements share memory */
    WI_E_TOO_BIG,       /* element count or byte extent does not fit in 63 bits */
    WI_E_REGION,        /* block does not fit inside the full logical shape */
    WI_E_FROM_RANGE,    /* uniform: a outside the dtype's finite range (or NaN); trunc normal: a above its max */
    WI_E_TO_RANGE,      /* uniform: b outside the dtype's finite range (or NaN); trunc normal: b below -max */
    WI_E_FROM_GT_TO,    /* uniform, trunc normal: a > b (or NaN) */
    WI_E_WIDTH,         /* uniform: b - a exceeds the dtype's max */
    WI_E_STD,           /* normal: std < 0 or NaN */
    WI_E_CONST_OVERFLOW,/* constant: finite value outside the dtype's range */
    WI_E_FAN_NDIM,      /* fans: fewer than 2 dimensions (more than WI_MAX_NDIM: WI_E_NDIM) */
    WI_E_NONLINEARITY,  /* gain: unknown nonlinearity */
    WI_E_GAIN_OVERFLOW, /* gain: leaky_relu's finite negative_slope squared overflows */
    WI_E_ISA,           /* dispatch: ISA unknown or not supported by this CPU */
    WI_E_TRUNC,         /* trunc normal: mean, std not finite or std <= 0 */
    WI_E_DIST,          /* dist not one of wi_dist */
    WI_E_KERNELS        /* start-up: a kernel table lacks an entry (a build error) */
} wi_status;

/* A strided view of memory.  strides are in bytes and may be negative or
 * arbitrary; data points at the element with all indices 0. */
typedef struct {
    void *data;
    wi_dtype dtype;
    int ndim;
    const int64_t *shape;
    const int64_t *strides;
} wi_view;

/* Where the view sits in a larger logical tensor (for sharded init):
 * full_shape has the view's ndim, offset[d] + shape[d] <= full_shape[d]. */
typedef struct {
    const int64_t *full_shape;
    const int64_t *offset;
} wi_region;

typedef struct {
    wi_dist dist;
    union { /* the parameters of dist, the member named as in WI_DISTS */
        struct { double a, b; } uniform;                 /* a <= b */
        struct { double mean, std; } normal;
        struct { double value; } constant;
        struct { double mean, std, a, b; } trunc_normal; /* std > 0, cut to [a, b] (may be infinite) */
    };
    uint64_t key;    /* Philox key */
    uint64_t stream; /* high 64 bits of the Philox counter */
} wi_spec;

/* Fill `view` (which is the block `region` of a larger logical tensor, or the
 * whole tensor when region is NULL).  Validates everything before writing:
 * on any error nothing is written. */
wi_status wi_fill(const wi_view *view, const wi_region *region, const wi_spec *spec);

/* Validate parameters alone (the checks wi_fill makes first). */
wi_status wi_check_params(const wi_spec *spec, wi_dtype dtype);

/* Validate a view alone (shape, size, no two elements sharing memory): the
 * checks wi_fill makes before writing.  Reads no element. */
wi_status wi_check_view(const wi_view *view);

static inline size_t wi_itemsize(wi_dtype dtype) { return dtype == WI_F64 ? 8 : dtype == WI_F32 ? 4 : 2; }

/* torch's layout: (out, in, *kernel). */
wi_status wi_fans(int ndim, const int64_t *shape, int64_t *fan_in, int64_t *fan_out);

typedef enum {
    WI_NL_LINEAR, WI_NL_CONV1D, WI_NL_CONV2D, WI_NL_CONV3D,
    WI_NL_CONV_TRANSPOSE1D, WI_NL_CONV_TRANSPOSE2D, WI_NL_CONV_TRANSPOSE3D,
    WI_NL_SIGMOID, WI_NL_TANH, WI_NL_RELU, WI_NL_LEAKY_RELU, WI_NL_SELU,
    WI_NL_COUNT
} wi_nonlinearity;

wi_status wi_nonlinearity_from_name(const char *name, wi_nonlinearity *out);
/* Recommended gain; `negative_slope` is used by leaky_relu only. */
wi_status wi_gain(wi_nonlinearity nl, double negative_slope, double *gain);

/* Threads per fill (the caller included).  The default is the number of
 * CPUs this process may run on, or WEIGHTINIT_NUM_THREADS; every count is
 * clamped to [1, WI_MAX_THREADS].  Results never depend on it. */
#define WI_MAX_THREADS 256
int wi_get_num_threads(void);
void wi_set_num_threads(int n);

/* Philox4x32-10 on one counter block (exposed for known-answer tests). */
void wi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Kernel paths.  wi_isa_init() checks that every kernel table is complete
 * (WI_E_KERNELS if not), picks the best path the CPU and OS support, then
 * the one named by WEIGHTINIT_ISA if set (WI_E_ISA if it cannot run);
 * wi_isa_set() forces one. */
wi_status wi_isa_init(void);
const char *wi_isa_name(void);
wi_status wi_isa_set(const char *name);
/* Names of the paths this CPU can run, best last; returns the count. */
int wi_isa_available(const char **names, int cap);

#ifdef __cplusplus
}
#endif
#endif
