/* Raw Philox words per second on one core through one path's primitive
 * (simd_<path>.h, chosen by WI_SIMD_HEADER), with WI_INFLIGHT groups per
 * batch: the ceiling every fill of that path sits under.  Built and run by
 * tools/ceiling.py; prints the best of 25 timed runs. */
#include WI_SIMD_HEADER

#include <stdio.h>
#include <string.h>

#include "timing.h"

static __attribute__((noinline)) void batch(const wi_keys *k, uint64_t g, vu xw[][WI_VPG32], vu yw[][WI_VPG32])
{
    philox(k, g, WI_INFLIGHT, xw, yw);
}

int main(void)
{
    wi_params p;
    wi_keys k;
    memset(&p, 0, sizeof p);
    wi_philox_schedule(0x12345678u, 0x9ABCDEF0u, &p.keys);
    p.stream = 7;
    keys_init(&k, &p);
    unsigned sink = 0;
    const long batches = 400000 / WI_INFLIGHT;
    double best = 0;
    for (int run = 0; run < 25; run++) {
        double t0 = now();
        for (long i = 0; i < batches; i++) {
            vu xw[WI_INFLIGHT][WI_VPG32], yw[WI_INFLIGHT][WI_VPG32];
            unsigned w[sizeof(vu) / 4];
            batch(&k, (uint64_t)i * WI_INFLIGHT, xw, yw);
            memcpy(w, &xw[WI_INFLIGHT - 1][0], sizeof w);
            sink ^= w[0];
        }
        double rate = (double)batches * WI_INFLIGHT * 32 / (now() - t0);
        if (rate > best)
            best = rate;
    }
    printf("%.4g %u\n", best, sink & 1u);
    return 0;
}
