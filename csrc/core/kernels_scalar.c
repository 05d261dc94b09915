/* The portable path "scalar", wi_kernels_scalar: every distribution x dtype
 * (kernels_driver.h) over simd_scalar.h (plain C, vectorised by the compiler
 * with the target's baseline SIMD).  Runs on any CPU: the path of x86-64
 * CPUs without AVX2, and the reference of the tests. */
#include "simd_scalar.h"

#define WI_TABLE wi_kernels_scalar
#define WI_TABLE_NAME "scalar"
#define WI_TABLE_NEEDS 0u
#include "kernels_driver.h"
