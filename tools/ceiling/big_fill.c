/* Out-of-cache fill rate of the core: 64 Mi float32 elements (256 MiB)
 * filled through wi_fill on the default path, uniform_ and normal_ in turn;
 * median of 9 timed fills, in G elements/s per thread.  The buffer is
 * touched once by memset before timing, in 4 KiB pages or, when asked, in
 * 2 MiB pages (MADV_HUGEPAGE before the first touch).  Built against the
 * core by tools/ceiling.py, with and without the kernels' TLB prefetch;
 * argv: threads, huge pages (0 or 1). */
#define _GNU_SOURCE
#include "weightinit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "timing.h"

int main(int argc, char **argv)
{
    enum { RUNS = 9 };
    const size_t n = (size_t)64 << 20;
    int status = 1;
    float *buf = NULL;
    if (argc != 3 || wi_isa_init() != WI_OK)
        goto done;
    int threads = atoi(argv[1]);
    buf = aligned_alloc((size_t)2 << 20, n * sizeof(float));
    if (!buf || (atoi(argv[2]) && madvise(buf, n * sizeof(float), MADV_HUGEPAGE) != 0))
        goto done;
    memset(buf, 1, n * sizeof(float));
    wi_set_num_threads(threads);
    int64_t shape[1] = {(int64_t)n}, strides[1] = {sizeof(float)};
    wi_view v = {buf, WI_F32, 1, shape, strides};
    for (int d = 0; d < 2; d++) {
        wi_spec s;
        memset(&s, 0, sizeof s);
        if (d == 0) {
            s.dist = WI_UNIFORM;
            s.uniform.a = -1, s.uniform.b = 1;
        } else {
            s.dist = WI_NORMAL;
            s.normal.mean = 0, s.normal.std = 1;
        }
        double sec[RUNS];
        for (int r = 0; r <= RUNS; r++) {
            s.key = (uint64_t)r;
            double t0 = now();
            if (wi_fill(&v, NULL, &s) != WI_OK)
                goto done;
            if (r > 0) /* the first fill is a warm-up */
                sec[r - 1] = now() - t0;
        }
        qsort(sec, RUNS, sizeof sec[0], by_value);
        printf("%s\t%.3f\n", d == 0 ? "uniform_" : "normal_", (double)n / sec[RUNS / 2] / threads * 1e-9);
    }
    status = 0;
done:
    free(buf);
    return status;
}
