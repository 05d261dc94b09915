/* Kernel path selection by capability: the CPU and OS features each path
 * needs (cpuid for the instructions, XGETBV for the register state the OS
 * saves; AArch64 always has Advanced SIMD) against the WI_CAP_* bits of each
 * table.  The best path the machine runs is the default, overridable by
 * WEIGHTINIT_ISA or wi_isa_set() so that tests can run every path and
 * compare them.  At start-up every table is checked to be complete. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* The paths built for this architecture, best last. */
#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
static const wi_kernel_table *const all_tables[] = {&wi_kernels_scalar, &wi_kernels_avx2, &wi_kernels_avx512,
                                                    &wi_kernels_avx512bf16};

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static unsigned cpu_caps(void)
{
    unsigned a, b, c, d, caps = 0;

    if (!__get_cpuid(1, &a, &b, &c, &d))
        goto done;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!(osxsave && avx) || __get_cpuid_max(0, NULL) < 7)
        goto done;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) /* SSE and AVX state */
        goto done;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned max_subleaf = a;
    if (((b >> 5) & 1) && fma && f16c) /* AVX2 */
        caps |= WI_CAP_AVX2;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    if (!(f && dq && bw && vl && (xcr0 & 0xE6) == 0xE6)) /* opmask, ZMM_Hi256, Hi16_ZMM */
        goto done;
    caps |= WI_CAP_AVX512;
    if (max_subleaf >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        if ((a >> 5) & 1)
            caps |= WI_CAP_AVX512BF16;
    }
done:
    return caps;
}
#elif defined(__aarch64__)
static const wi_kernel_table *const all_tables[] = {&wi_kernels_scalar, &wi_kernels_neon};
static unsigned cpu_caps(void) { return WI_CAP_NEON; } /* Advanced SIMD is part of AArch64 */
#else
static const wi_kernel_table *const all_tables[] = {&wi_kernels_scalar};
static unsigned cpu_caps(void) { return 0; }
#endif

#define N_TABLES (int)(sizeof all_tables / sizeof all_tables[0])

static int caps_known; /* set by wi_isa_init, before any fill */
static unsigned caps;
/* atomic: a fill may read it while another thread forces a path */
static _Atomic(const wi_kernel_table *) active = &wi_kernels_scalar;

static int supported(const wi_kernel_table *t)
{
    if (!caps_known) {
        caps = cpu_caps();
        caps_known = 1;
    }
    return (t->needs & caps) == t->needs;
}

const wi_kernel_table *wi_kernels(void) { return atomic_load_explicit(&active, memory_order_acquire); }

const char *wi_isa_name(void) { return wi_kernels()->name; }

int wi_isa_available(const char **names, int cap)
{
    int n = 0;
    for (int i = 0; i < N_TABLES; i++)
        if (supported(all_tables[i]) && n < cap)
            names[n++] = all_tables[i]->name;
    return n;
}

wi_status wi_isa_set(const char *name)
{
    for (int i = 0; i < N_TABLES; i++) {
        if (strcmp(all_tables[i]->name, name) == 0 && supported(all_tables[i])) {
            atomic_store_explicit(&active, all_tables[i], memory_order_release);
            return WI_OK;
        }
    }
    return WI_E_ISA;
}

wi_status wi_isa_init(void)
{
    wi_status st = WI_OK;
    const char *forced = getenv("WEIGHTINIT_ISA");

    for (int i = 0; i < N_TABLES; i++)
        for (int d = 0; d < WI_NDIST; d++)
            for (int t = 0; t < WI_NDTYPE; t++)
                if (!all_tables[i]->gen[d][t]) {
                    st = WI_E_KERNELS;
                    goto done;
                }
    for (int i = 0; i < N_TABLES; i++)
        if (supported(all_tables[i]))
            atomic_store_explicit(&active, all_tables[i], memory_order_release);
    if (forced && *forced)
        st = wi_isa_set(forced);
done:
    return st;
}
