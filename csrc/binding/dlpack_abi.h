/* The parts of the DLPack ABI (https://dmlc.github.io/dlpack/latest/c_api.html)
 * the binding reads: the legacy "dltensor" capsule and the versioned
 * "dltensor_versioned" capsule (DLPack >= 1.0), whose flags carry read-only.
 * Layouts follow the published C ABI; names are prefixed to avoid clashes. */
#ifndef WI_DLPACK_ABI_H
#define WI_DLPACK_ABI_H

#include <stdint.h>

enum { WI_DL_CPU = 1 };
enum { WI_DL_INT = 0, WI_DL_UINT = 1, WI_DL_FLOAT = 2, WI_DL_BFLOAT = 4, WI_DL_COMPLEX = 5, WI_DL_BOOL = 6 };
#define WI_DL_FLAG_READ_ONLY (1ull << 0)

typedef struct {
    int32_t device_type;
    int32_t device_id;
} wi_dl_device;

typedef struct {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
} wi_dl_dtype;

typedef struct {
    void *data;
    wi_dl_device device;
    int32_t ndim;
    wi_dl_dtype dtype;
    int64_t *shape;
    int64_t *strides; /* in elements; NULL means compact row-major */
    uint64_t byte_offset;
} wi_dl_tensor;

typedef struct wi_dl_managed {
    wi_dl_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct wi_dl_managed *self);
} wi_dl_managed;

typedef struct wi_dl_managed_versioned {
    struct {
        uint32_t major;
        uint32_t minor;
    } version;
    void *manager_ctx;
    void (*deleter)(struct wi_dl_managed_versioned *self);
    uint64_t flags;
    wi_dl_tensor dl_tensor;
} wi_dl_managed_versioned;

#endif
