/* Kernel pieces every path shares: the far-tail trunc normal (rare, so
 * written once in plain C) and the single Philox block of the known-answer
 * tests. */
#include <string.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

static double clamp64(const wi_params *p, double v)
{
    v = v > p->tlo64 ? v : p->tlo64; /* the operand order of SIMD max/min */
    return v < p->thi64 ? v : p->thi64;
}

/* FAR mode: x = near + E with E exponential of rate near, cut at the window's
 * far edge (tspan = 1 - exp(-near * width)); value = tstart + tdir * E.  The
 * dropped factor exp(-E^2/2) is within 1/(2 near^2) < 4e-4 of 1 out there.
 * log1p(y) as log(w) * y / (w - 1) with w = 1 + y keeps small E exact. */
static double far_value(const wi_params *p, uint64_t x)
{
    double u = ((double)(x >> 12) + 0.5) * 0x1p-52;
    double y = -u * p->tspan;
    double w = 1.0 + y;
    double l1p = w == 1.0 ? y : wi_log_f64(w) * (y / (w - 1.0));
    return clamp64(p, fma(p->tdir, -l1p / p->tnear, p->tstart));
}

/* Element j of the group from block j's X (j < 8) or Y (8 + j) word pair. */
void wi_trunc_far_groups(const wi_params *p, uint64_t group, size_t count, void *out)
{
    unsigned char *o = out;
    for (size_t k = 0; k < count; k++, o += 8 * WI_GROUP64) {
        double v[WI_GROUP64];
        for (unsigned j = 0; j < 8; j++) {
            uint64_t block = 8 * (group + k) + j;
            uint32_t r[4];
            wi_philox_block((uint32_t)block, (uint32_t)(block >> 32), (uint32_t)p->stream,
                            (uint32_t)(p->stream >> 32), p->rk0[0], p->rk1[0], r);
            v[j] = far_value(p, r[0] | (uint64_t)r[1] << 32);
            v[8 + j] = far_value(p, r[2] | (uint64_t)r[3] << 32);
        }
        memcpy(o, v, sizeof v);
    }
}

void wi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    wi_philox_block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], out);
}
