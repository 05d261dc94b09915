/* Every kernel path against the portable one, through the core's own entry
 * point (no Python): every distribution (in each trunc normal mode) and
 * every dtype, on ragged lengths at every offset within a group, strided and
 * transposed views, and a fill large enough for the thread pool; the bits
 * must be equal.  Built and run by tests/test_native.py (natively, and for
 * arm64 under qemu-user, where it checks the NEON path).
 *
 *   paths [isa ...]   compare these paths (default: every path this CPU runs)
 *   paths --digest    print an FNV-1a digest of each case's fill on the
 *                     scalar path, to compare architectures
 * Prints one line per path compared; exits 1 on the first difference, 2
 * before comparing anything if a distribution of WI_DISTS has no case. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weightinit.h"

/* distributions and parameters (fill sets key and stream) */
#define TN(mean, std, a, b) {WI_TRUNC_NORMAL, .trunc_normal = {mean, std, a, b}}
static const wi_spec cases[] = {
    {WI_UNIFORM, .uniform = {-1.5, 2.5}}, {WI_UNIFORM, .uniform = {7.0, 7.0}}, {WI_NORMAL, .normal = {0.25, 3.0}},
    {WI_NORMAL, .normal = {NAN, 1.0}}, {WI_NORMAL, .normal = {0.0, INFINITY}}, {WI_CONSTANT, .constant = {0.1}},
    TN(0, 1, -2, 2), TN(0, 1, 5, 6), TN(0, 0.02, -2, 2), TN(0, 1, 0.5, 0.6), TN(0, 1, 14, 15), TN(0, 1, -41, -40),
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Fill a view of `n` x `m` elements (row stride `rs`, column stride `cs`, in
 * elements) of buf, as the block at (r0, c0) of a full shape, on one path. */
static wi_status fill(const char *isa, void *buf, wi_dtype dt, const wi_spec *c, int64_t n, int64_t m, int64_t rs,
                      int64_t cs, const int64_t full[2], const int64_t off[2])
{
    size_t sz = wi_itemsize(dt);
    int64_t shape[2] = {n, m}, strides[2] = {rs * (int64_t)sz, cs * (int64_t)sz};
    wi_view v = {buf, dt, 2, shape, strides};
    wi_region reg = {full, off};
    wi_spec s = *c;
    s.key = 0xC0FFEEull;
    s.stream = 3;
    if (wi_isa_set(isa) != WI_OK) {
        fprintf(stderr, "cannot select path %s\n", isa);
        exit(2);
    }
    return wi_fill(&v, full ? &reg : NULL, &s);
}

/* One layout on `isa` and on scalar; 0 if the bytes agree. */
static int compare(const char *isa, wi_dtype dt, const wi_spec *c, int64_t n, int64_t m, int transposed,
                   const int64_t full[2], const int64_t off[2], const char *what)
{
    size_t bytes = (size_t)(n * m) * wi_itemsize(dt);
    unsigned char *a = malloc(bytes), *b = malloc(bytes);
    int64_t rs = transposed ? 1 : m, cs = transposed ? n : 1;
    int bad = 0;
    memset(a, 0xA5, bytes);
    memset(b, 0x5A, bytes);
    if (fill("scalar", a, dt, c, n, m, rs, cs, full, off) != WI_OK || fill(isa, b, dt, c, n, m, rs, cs, full, off) != WI_OK) {
        fprintf(stderr, "fill refused (%s)\n", what);
        bad = 1;
    } else if (memcmp(a, b, bytes) != 0) {
        size_t i = 0;
        while (a[i] == b[i])
            i++;
        fprintf(stderr, "%s differs from scalar: case %d (dist %d) dtype %d, %s %lldx%lld, byte %zu\n", isa,
                (int)(c - cases), (int)c->dist, (int)dt, what, (long long)n, (long long)m, i);
        bad = 1;
    }
    free(a);
    free(b);
    return bad;
}

static int check_path(const char *isa)
{
    long fills = 0;
    for (int ci = 0; ci < NCASES; ci++) {
        for (int dt = 0; dt < WI_NDTYPE; dt++) {
            /* ragged: 1..69 elements and a few longer runs, at random starts */
            for (int64_t len = 1; len < 4100; len = len < 70 ? len + 1 : len * 2 + 1) {
                int64_t start = (int64_t)(next() % 40);
                int64_t full[2] = {1, start + len + (int64_t)(next() % 5)}, off[2] = {0, start};
                if (compare(isa, (wi_dtype)dt, &cases[ci], 1, len, 0, full, off, "ragged"))
                    return 1;
                fills++;
            }
            if (compare(isa, (wi_dtype)dt, &cases[ci], 61, 37, 1, NULL, NULL, "transposed") ||
                compare(isa, (wi_dtype)dt, &cases[ci], 17, 45, 0, NULL, NULL, "rows"))
                return 1;
            fills += 2;
        }
    }
    for (int dt = 0; dt < WI_NDTYPE; dt++) /* the thread pool */
        for (int ci = 2; ci < 9; ci += 6) {
            if (compare(isa, (wi_dtype)dt, &cases[ci], 1, 700001, 0, NULL, NULL, "large"))
                return 1;
            fills++;
        }
    printf("%s: %ld fills equal to scalar\n", isa, fills);
    return 0;
}

/* Cases whose bits may differ between architectures: inf * 0 makes the
 * default NaN, negative on x86, positive on arm64. */
static int arch_dependent(const wi_spec *c) { return c->dist == WI_NORMAL && isinf(c->normal.std); }

static int digests(void)
{
    for (int ci = 0; ci < NCASES; ci++) {
        if (arch_dependent(&cases[ci]))
            continue;
        for (int dt = 0; dt < WI_NDTYPE; dt++) {
            int64_t n = 10007, full[2] = {1, n + 5}, off[2] = {0, 3};
            unsigned char *buf = malloc((size_t)n * 8);
            uint64_t h = 0xcbf29ce484222325ull;
            fill("scalar", buf, (wi_dtype)dt, &cases[ci], 1, n, n, 1, full, off);
            for (size_t i = 0; i < (size_t)n * wi_itemsize((wi_dtype)dt); i++)
                h = (h ^ buf[i]) * 0x100000001b3ull;
            printf("case %d dtype %d %016llx\n", ci, dt, (unsigned long long)h);
            free(buf);
        }
    }
    return 0;
}

/* Every distribution of the core has a case here (or a new one would go
 * uncompared, NEON included). */
static int every_distribution_has_a_case(void)
{
    for (int d = 0; d < WI_NDIST; d++) {
        int found = 0;
        for (int ci = 0; ci < NCASES; ci++)
            found |= (int)cases[ci].dist == d;
        if (!found) {
            fprintf(stderr, "paths.c: no case for distribution %d: add one to cases[]\n", d);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *names[16];
    int n;
    if (!every_distribution_has_a_case())
        return 2;
    if (wi_isa_init() != WI_OK) {
        fprintf(stderr, "wi_isa_init failed\n");
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--digest") == 0)
        return digests();
    n = wi_isa_available(names, 16);
    printf("paths:");
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (check_path(argv[i]))
                return 1;
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], "scalar") != 0 && check_path(names[i]))
            return 1;
    return 0;
}
