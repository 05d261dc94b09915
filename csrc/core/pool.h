/* Internal: the thread pool behind wi_fill (see pool.c). */
#ifndef WI_POOL_H
#define WI_POOL_H

#include <stddef.h>

#include "weightinit.h"

typedef void (*wi_task_fn)(void *ctx, size_t chunk);

/* fn(ctx, i) for every i in [0, count), spread over the pool and the caller;
 * returns when all are done. */
void wi_parallel_for(size_t count, wi_task_fn fn, void *ctx);

#endif
