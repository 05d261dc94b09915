/* Kernel path selection: one table chosen at import from what the CPU and
 * OS support, overridable by WEIGHTINIT_ISA or wi_isa_set() so that tests
 * can run every path and compare them. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static const wi_kernel_table *const all_tables[] = {&wi_kernels_scalar};
#define N_TABLES (int)(sizeof all_tables / sizeof all_tables[0])

static int supported(const wi_kernel_table *t)
{
    return t == &wi_kernels_scalar;
}

static const wi_kernel_table *active = &wi_kernels_scalar;

const wi_kernel_table *wi_kernels(void) { return active; }

const char *wi_isa_name(void) { return active->name; }

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
        if (supported(all_tables[i]))
            active = all_tables[i];
    return forced && *forced ? wi_isa_set(forced) : WI_OK;
}
