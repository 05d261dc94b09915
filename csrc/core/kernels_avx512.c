/* The AVX-512 (F, DQ, BW, VL) path "avx512", wi_kernels_avx512: every
 * distribution x dtype (kernels_driver.h) over simd_avx512.h, bfloat16
 * rounded in integers.  Built with AVX-512 flags, called only after
 * dispatch.c has checked the CPU and OS. */
#include "simd_avx512.h"

#define WI_TABLE wi_kernels_avx512
#define WI_TABLE_NAME "avx512"
#define WI_TABLE_NEEDS (WI_CAP_AVX2 | WI_CAP_AVX512)
#include "kernels_driver.h"
