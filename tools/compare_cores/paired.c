/* Two builds of the core, timed against each other in one process: argv is
 * a.so b.so rounds path...  Both libraries are dlopen'ed (each bound to its
 * own symbols); every round times a fixed set of in-cache fills through A
 * and through B back to back, in alternating order, best of 5 per slot, so
 * that a round's ratio sees one state of a shared machine.  Prints, per path
 * and case: path, case, A's and B's median rates (G elements/s, one
 * thread), the median of the rounds' B/A ratios and its quartiles.  Built
 * and run by tools/compare_cores.py. */
#include "weightinit.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ceiling/timing.h"

typedef wi_status (*fill_fn)(const wi_view *, const wi_region *, const wi_spec *);
typedef wi_status (*set_fn)(const char *);

enum { N = 16384, FILLS = 4, BEST_OF = 5, CASES = 7 };

static const char *case_names[CASES] = {
    "uniform_ float32",         "normal_ float32",         "normal_ bfloat16",
    "trunc_normal_(std=0.02) float32", "trunc_normal_(std=0.02) bfloat16",
    "trunc_normal_(a=-2, b=2) float32", "trunc_normal_(a=-6, b=6) float32",
};

static void spec_of(int c, wi_spec *s, wi_dtype *dt)
{
    memset(s, 0, sizeof *s);
    *dt = (c == 2 || c == 4) ? WI_BF16 : WI_F32;
    if (c == 0) {
        s->dist = WI_UNIFORM;
        s->uniform.a = -1, s->uniform.b = 1;
    } else if (c <= 2) {
        s->dist = WI_NORMAL;
        s->normal.std = 1;
    } else {
        s->dist = WI_TRUNC_NORMAL;
        s->trunc_normal.std = c <= 4 ? 0.02 : 1;
        s->trunc_normal.a = c == 6 ? -6 : -2;
        s->trunc_normal.b = -s->trunc_normal.a;
    }
}

/* seconds of FILLS fills of v, best of BEST_OF */
static double best_time(fill_fn fill, const wi_view *v, wi_spec *s)
{
    double best = 1e30;
    for (int t = 0; t < BEST_OF; t++) {
        double t0 = now();
        for (int q = 0; q < FILLS; q++) {
            s->key = (uint64_t)q;
            fill(v, NULL, s);
        }
        double d = now() - t0;
        if (d < best)
            best = d;
    }
    return best;
}

int main(int argc, char **argv)
{
    int status = 1, rounds = argc > 3 ? atoi(argv[3]) : 0;
    void *lib[2] = {NULL, NULL};
    fill_fn fill[2];
    set_fn set[2];
    float *buf = aligned_alloc(64, N * sizeof(float));
    double *ratio = malloc(sizeof(double) * (size_t)(rounds > 0 ? rounds : 1) * 3);
    if (argc < 5 || rounds < 1 || !buf || !ratio) {
        fprintf(stderr, "usage: %s a.so b.so rounds path...\n", argv[0]);
        goto done;
    }
    double *rate_a = ratio + rounds, *rate_b = ratio + 2 * rounds;
    for (int i = 0; i < 2; i++) {
        lib[i] = dlopen(argv[1 + i], RTLD_NOW | RTLD_LOCAL);
        if (!lib[i]) {
            fprintf(stderr, "%s\n", dlerror());
            goto done;
        }
        fill[i] = (fill_fn)dlsym(lib[i], "wi_fill");
        set[i] = (set_fn)dlsym(lib[i], "wi_isa_set");
        wi_status (*init)(void) = (wi_status(*)(void))dlsym(lib[i], "wi_isa_init");
        void (*threads)(int) = (void (*)(int))dlsym(lib[i], "wi_set_num_threads");
        if (!fill[i] || !set[i] || !init || !threads || init() != WI_OK) {
            fprintf(stderr, "%s: not a weightinit core\n", argv[1 + i]);
            goto done;
        }
        threads(1);
    }
    for (int a = 4; a < argc; a++) {
        for (int c = 0; c < CASES; c++) {
            wi_spec s;
            wi_dtype dt;
            spec_of(c, &s, &dt);
            int64_t shape[1] = {N}, strides[1] = {dt == WI_F32 ? 4 : 2};
            wi_view v = {buf, dt, 1, shape, strides};
            for (int r = 0; r < rounds; r++) {
                double t[2];
                for (int o = 0; o < 2; o++) {
                    int i = (r & 1) ? 1 - o : o;
                    if (set[i](argv[a]) != WI_OK) {
                        fprintf(stderr, "path %s not available\n", argv[a]);
                        goto done;
                    }
                    t[i] = best_time(fill[i], &v, &s);
                }
                ratio[r] = t[0] / t[1];
                rate_a[r] = FILLS * (double)N / t[0] * 1e-9;
                rate_b[r] = FILLS * (double)N / t[1] * 1e-9;
            }
            for (int k = 0; k < 3; k++)
                qsort(ratio + k * rounds, (size_t)rounds, sizeof(double), by_value);
            printf("%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\n", argv[a], case_names[c], rate_a[rounds / 2],
                   rate_b[rounds / 2], ratio[rounds / 2], ratio[rounds / 4], ratio[(3 * rounds) / 4]);
            fflush(stdout);
        }
    }
    status = 0;
done:
    for (int i = 0; i < 2; i++)
        if (lib[i])
            dlclose(lib[i]);
    free(ratio);
    free(buf);
    return status;
}
