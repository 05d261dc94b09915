/* The AArch64 Advanced SIMD path "neon", wi_kernels_neon: every distribution
 * x dtype (kernels_driver.h) over simd_neon.h.  Built for AArch64 only,
 * where Advanced SIMD is part of the architecture. */
#include "simd_neon.h"

#define WI_TABLE wi_kernels_neon
#define WI_TABLE_NAME "neon"
#define WI_TABLE_NEEDS WI_CAP_NEON
#include "kernels_driver.h"
