/* Kernel path selection: one table chosen at import from what the CPU and
 * OS support (cpuid for the instructions, XGETBV for the register state the
 * OS saves), overridable by WEIGHTINIT_ISA or wi_isa_set() so that tests can
 * run every path and compare them. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#if WI_X86_KERNELS
#include <cpuid.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* 1: AVX2 + FMA + F16C usable; 2: also AVX-512 F/DQ/BW/VL usable. */
static int x86_level(void)
{
    unsigned a, b, c, d;
    int level = 0;

    if (!__get_cpuid(1, &a, &b, &c, &d))
        goto done;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!(osxsave && avx && fma && f16c) || __get_cpuid_max(0, NULL) < 7)
        goto done;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) /* SSE and AVX state */
        goto done;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((b >> 5) & 1)) /* AVX2 */
        goto done;
    level = 1;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    if (f && dq && bw && vl && (xcr0 & 0xE6) == 0xE6) /* opmask, ZMM_Hi256, Hi16_ZMM */
        level = 2;
done:
    return level;
}

static const wi_kernel_table *const all_tables[] = {&wi_kernels_scalar, &wi_kernels_avx2, &wi_kernels_avx512};
#else
static int x86_level(void) { return 0; }
static const wi_kernel_table *const all_tables[] = {&wi_kernels_scalar};
#endif

#define N_TABLES (int)(sizeof all_tables / sizeof all_tables[0])

static int level = -1; /* index of the best table this machine runs */
static const wi_kernel_table *active = &wi_kernels_scalar;

static int supported(int i)
{
    if (level < 0)
        level = x86_level();
    return i <= level;
}

const wi_kernel_table *wi_kernels(void) { return active; }

const char *wi_isa_name(void) { return active->name; }

int wi_isa_available(const char **names, int cap)
{
    int n = 0;
    for (int i = 0; i < N_TABLES; i++)
        if (supported(i) && n < cap)
            names[n++] = all_tables[i]->name;
    return n;
}

wi_status wi_isa_set(const char *name)
{
    for (int i = 0; i < N_TABLES; i++) {
        if (strcmp(all_tables[i]->name, name) == 0 && supported(i)) {
            active = all_tables[i];
            return WI_OK;
        }
    }
    return WI_E_ISA;
}

wi_status wi_isa_init(void)
{
    const char *forced = getenv("WEIGHTINIT_ISA");
    for (int i = 0; i < N_TABLES; i++)
        if (supported(i))
            active = all_tables[i];
    return forced && *forced ? wi_isa_set(forced) : WI_OK;
}
