/* Internal: advice to the OS about memory a fill is about to write (pages.c). */
#ifndef WI_PAGES_H
#define WI_PAGES_H

#include <stddef.h>

/* Fills of at least this many contiguous bytes ask for transparent huge
 * pages (NumPy advises its own allocations from 4 MiB, too). */
#define WI_HUGE_BYTES (4u << 20)

/* Ask that the whole 2 MiB pages inside [data, data + bytes) be backed by
 * transparent huge pages, where the OS has them (Linux) and
 * WEIGHTINIT_HUGEPAGES is not 0.  Advice only: it never changes what is
 * written, and a refusal is ignored. */
void wi_advise_pages(void *data, size_t bytes);

#endif
