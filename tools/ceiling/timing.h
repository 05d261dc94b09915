/* What the timing programs of tools/ (ceiling/*.c, compare_cores/paired.c)
 * share: a monotonic clock in seconds and a comparator of doubles for
 * qsort (medians).  Header only: each program is one file of its own. */
#ifndef WI_TOOLS_TIMING_H
#define WI_TOOLS_TIMING_H

#include <time.h>

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
