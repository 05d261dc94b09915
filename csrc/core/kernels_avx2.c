/* The AVX2 + FMA + F16C path "avx2", wi_kernels_avx2: every distribution x
 * dtype (kernels_driver.h) over simd_avx2.h.  Built with AVX2 flags, called
 * only after dispatch.c has checked the CPU and OS. */
#include "simd_avx2.h"

#define WI_TABLE wi_kernels_avx2
#define WI_TABLE_NAME "avx2"
#define WI_TABLE_NEEDS WI_CAP_AVX2
#include "kernels_driver.h"
