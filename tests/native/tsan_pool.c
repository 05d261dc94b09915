/* The core's thread pool under ThreadSanitizer (no Python: TSan and CPython
 * do not mix well).  Several threads fill at once, large enough for the pool,
 * while one keeps changing the thread count and another the kernel path;
 * every fill must still equal the reference fill, bit for bit.  Built with
 * -fsanitize=thread by tests/test_native.py and .ci/run; any race report
 * fails the run (TSan's exit code), as does a wrong value.
 *
 *   tsan_pool [iterations]   (default 6) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weightinit.h"

#define N ((1 << 19) + 17) /* above the pool's threshold, not a whole number of chunks */
#define WORKERS 4

typedef struct {
    wi_dtype dtype;
    wi_spec spec; /* distribution and parameters */
} job;

static const job jobs[] = {
    {WI_F32, {WI_NORMAL, .normal = {0.0, 1.0}}},
    {WI_BF16, {WI_UNIFORM, .uniform = {-1.0, 1.0}}},
    {WI_F64, {WI_TRUNC_NORMAL, .trunc_normal = {0.0, 1.0, -2.0, 2.0}}},
    {WI_F16, {WI_NORMAL, .normal = {0.5, 2.0}}},
};

static unsigned char *reference[WORKERS];
static int iterations = 6;
static const char *paths[16];
static int npaths;

static int run(const job *j, void *buf, uint64_t stream)
{
    int64_t shape[1] = {N}, strides[1] = {(int64_t)wi_itemsize(j->dtype)};
    wi_view v = {buf, j->dtype, 1, shape, strides};
    wi_spec s = j->spec;
    s.key = 0x1234ABCDull;
    s.stream = stream;
    return wi_fill(&v, NULL, &s) == WI_OK;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    size_t bytes = (size_t)N * wi_itemsize(jobs[id].dtype);
    unsigned char *buf = malloc(bytes);
    intptr_t bad = 0;
    for (int i = 0; i < iterations && !bad; i++) {
        if (id == 0)
            wi_set_num_threads(1 + i % 3);
        if (id == 1)
            wi_isa_set(paths[i % npaths]);
        memset(buf, 0, bytes);
        if (!run(&jobs[id], buf, (uint64_t)id) || memcmp(buf, reference[id], bytes) != 0) {
            fprintf(stderr, "worker %d, iteration %d: fill differs from the reference\n", id, i);
            bad = 1;
        }
        (void)wi_get_num_threads();
    }
    free(buf);
    return (void *)bad;
}

int main(int argc, char **argv)
{
    pthread_t t[WORKERS];
    int failed = 0;
    if (argc > 1)
        iterations = atoi(argv[1]);
    if (wi_isa_init() != WI_OK)
        return 2;
    npaths = wi_isa_available(paths, 16);
    wi_set_num_threads(2);
    for (int id = 0; id < WORKERS; id++) {
        reference[id] = malloc((size_t)N * wi_itemsize(jobs[id].dtype));
        if (!run(&jobs[id], reference[id], (uint64_t)id))
            return 2;
    }
    for (int id = 0; id < WORKERS; id++)
        pthread_create(&t[id], NULL, worker, (void *)(intptr_t)id);
    for (int id = 0; id < WORKERS; id++) {
        void *bad;
        pthread_join(t[id], &bad);
        failed |= bad != NULL;
    }
    printf("%d threads x %d fills of %d elements over %d paths: %s\n", WORKERS, iterations, N, npaths,
           failed ? "MISMATCH" : "all equal");
    return failed;
}
