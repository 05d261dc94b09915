/* In-cache fill rate of the core on one thread: 16 Ki elements (64 KiB of
 * float32, inside L2) filled again and again through wi_fill, per path,
 * distribution and dtype; best of 15 timed runs, in G elements/s.  No
 * memory traffic, so this is each kernel's compute ceiling.  Built against
 * the core by tools/ceiling.py; argv: the path names to time. */
#include "weightinit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

int main(int argc, char **argv)
{
    enum { N = 16384, RUNS = 15 };
    static const char *dists[] = {"uniform_", "normal_", "trunc_normal_(std=0.02)"};
    static const wi_dtype dtypes[] = {WI_F32, WI_BF16};
    static const char *dtype_names[] = {"float32", "bfloat16"};
    int status = 0;
    float *buf = aligned_alloc(64, N * sizeof(float));
    if (!buf || wi_isa_init() != WI_OK) {
        status = 1;
        goto done;
    }
    wi_set_num_threads(1);
    for (int a = 1; a < argc; a++) {
        if (wi_isa_set(argv[a]) != WI_OK) {
            fprintf(stderr, "path %s not available\n", argv[a]);
            status = 1;
            goto done;
        }
        for (int d = 0; d < 3; d++) {
            for (int t = 0; t < 2; t++) {
                int64_t shape[1] = {N}, strides[1] = {(int64_t)wi_itemsize(dtypes[t])};
                wi_view v = {buf, dtypes[t], 1, shape, strides};
                wi_spec s;
                memset(&s, 0, sizeof s);
                if (d == 0) {
                    s.dist = WI_UNIFORM;
                    s.uniform.a = -1, s.uniform.b = 1;
                } else if (d == 1) {
                    s.dist = WI_NORMAL;
                    s.normal.mean = 0, s.normal.std = 1;
                } else {
                    s.dist = WI_TRUNC_NORMAL;
                    s.trunc_normal.mean = 0, s.trunc_normal.std = 0.02, s.trunc_normal.a = -2, s.trunc_normal.b = 2;
                }
                int reps = d == 0 ? 400 : 200;
                double best = 0;
                for (int r = 0; r < RUNS; r++) {
                    double t0 = now();
                    for (int i = 0; i < reps; i++) {
                        s.key = (uint64_t)i;
                        if (wi_fill(&v, NULL, &s) != WI_OK) {
                            status = 1;
                            goto done;
                        }
                    }
                    double rate = (double)N * reps / (now() - t0) * 1e-9;
                    if (rate > best)
                        best = rate;
                }
                printf("%s\t%s\t%s\t%.3f\n", argv[a], dists[d], dtype_names[t], best);
            }
        }
    }
done:
    free(buf);
    return status;
}
