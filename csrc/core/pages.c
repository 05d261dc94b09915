/* Transparent huge pages for the memory of large fills.
 *
 * A model's weights are mostly written for the first time by their init, so
 * a large fill pays a page fault per 4 KiB page it touches; on the VMs this
 * project runs on that caps the first write at 1-3 GB/s, a tenth of the
 * fill's own speed.  With the kernel's THP set to "madvise" (a common
 * default), MADV_HUGEPAGE on the range makes that one fault per 2 MiB.  Only
 * whole 2 MiB pages inside the fill's own bytes are advised, so no memory
 * outside the tensor changes, and the tensor's memory use does not grow (the
 * fill writes every byte of those pages).  torch offers the same for its own
 * allocations (THP_MEM_ALLOC_ENABLE=1) and NumPy does it for arrays of 4 MiB
 * and more.  WEIGHTINIT_HUGEPAGES=0 turns it off.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "pages.h"

#ifdef __linux__
#include <pthread.h>
#include <sys/mman.h>

#define WI_HUGE_PAGE ((uintptr_t)2 << 20)

static int enabled = 1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
    const char *env = getenv("WEIGHTINIT_HUGEPAGES");
    enabled = !(env && env[0] == '0' && env[1] == '\0');
}

void wi_advise_pages(void *data, size_t bytes)
{
    uintptr_t lo = ((uintptr_t)data + WI_HUGE_PAGE - 1) & ~(WI_HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)data + bytes) & ~(WI_HUGE_PAGE - 1);

    pthread_once(&once, read_env);
    if (enabled && bytes >= WI_HUGE_BYTES && hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
#else
void wi_advise_pages(void *data, size_t bytes)
{
    (void)data;
    (void)bytes;
}
#endif
