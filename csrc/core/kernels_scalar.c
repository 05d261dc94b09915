/* Scalar kernels: the reference every SIMD path must match bit for bit, and
 * the path for CPUs without AVX2.  One Philox block at a time; the element
 * mapping is the group layout described in kernels.h. */
#include <string.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

/* The 8 blocks of group g as xw/yw words (see kernels.h). */
static void group_words(const wi_params *p, uint64_t g, uint32_t xw[16], uint32_t yw[16])
{
    for (unsigned j = 0; j < 8; j++) {
        uint64_t block = 8 * g + j;
        uint32_t r[4];
        wi_philox_block((uint32_t)block, (uint32_t)(block >> 32), (uint32_t)p->stream,
                        (uint32_t)(p->stream >> 32), p->rk0[0], p->rk1[0], r);
        xw[2 * j] = r[0];
        xw[2 * j + 1] = r[1];
        yw[2 * j] = r[2];
        yw[2 * j + 1] = r[3];
    }
}

static inline float uniform32(const wi_params *p, uint32_t x)
{
    float y = fmaf(wi_uniform01_f32(x), p->width32, p->lo32);
    return y < p->hi32 ? y : p->hi32;
}

static inline double uniform64(const wi_params *p, uint64_t x)
{
    double y = fma(wi_uniform01_f64(x), p->width64, p->lo64);
    return y < p->hi64 ? y : p->hi64;
}

static inline float clamp32(const wi_params *p, float v)
{
    v = v > p->tlo32 ? v : p->tlo32; /* the operand order of SIMD max/min */
    return v < p->thi32 ? v : p->thi32;
}

static inline double clamp64(const wi_params *p, double v)
{
    v = v > p->tlo64 ? v : p->tlo64;
    return v < p->thi64 ? v : p->thi64;
}

/* Trunc normal by inverse CDF from one word: u and 1 - u come from w and ~w,
 * so each side's tail probability keeps its own relative precision. */
static inline float trunc32(const wi_params *p, uint32_t w)
{
    float u = fmaf((float)w, 0x1p-32f, 0x1p-33f), v = fmaf((float)~w, 0x1p-32f, 0x1p-33f);
    float lower = fmaf(u, p->tmass32, p->tpa32), upper = fmaf(v, p->tmass32, p->tqb32);
    int left = lower <= upper;
    float x = wi_upper_quantile_f32(left ? lower : upper);
    return clamp32(p, fmaf(left ? -x : x, p->width32, p->lo32));
}

static inline double trunc64(const wi_params *p, uint64_t w)
{
    double u = ((double)(w >> 12) + 0.5) * 0x1p-52, v = ((double)(~w >> 12) + 0.5) * 0x1p-52;
    double lower = fma(u, p->tmass64, p->tpa64), upper = fma(v, p->tmass64, p->tqb64);
    int left = lower <= upper;
    double x = wi_upper_quantile_f64(left ? lower : upper);
    return clamp64(p, fma(left ? -x : x, p->width64, p->lo64));
}

/* The 32 float32 values of group g. */
static void group_f32(wi_dist dist, const wi_params *p, uint64_t g, float v[WI_GROUP32])
{
    uint32_t xw[16], yw[16];
    group_words(p, g, xw, yw);
    for (unsigned l = 0; l < 16; l++) {
        if (dist == WI_UNIFORM) {
            v[l] = uniform32(p, xw[l]);
            v[16 + l] = uniform32(p, yw[l]);
        } else if (dist == WI_TRUNC_NORMAL && p->tmode == WI_TM_F32) {
            v[l] = trunc32(p, xw[l]);
            v[16 + l] = trunc32(p, yw[l]);
        } else {
            float c, s, rs = wi_bm_radius_f32(xw[l]) * p->width32;
            wi_direction_f32(yw[l], &c, &s);
            v[l] = fmaf(rs, c, p->lo32);
            v[16 + l] = fmaf(rs, s, p->lo32);
            if (dist == WI_TRUNC_NORMAL) {
                v[l] = clamp32(p, v[l]);
                v[16 + l] = clamp32(p, v[16 + l]);
            }
        }
    }
}

static void group_f64(wi_dist dist, const wi_params *p, uint64_t g, double v[WI_GROUP64])
{
    uint32_t xw[16], yw[16];
    group_words(p, g, xw, yw);
    for (unsigned j = 0; j < 8; j++) {
        uint64_t x = xw[2 * j] | ((uint64_t)xw[2 * j + 1] << 32);
        uint64_t y = yw[2 * j] | ((uint64_t)yw[2 * j + 1] << 32);
        if (dist == WI_UNIFORM) {
            v[j] = uniform64(p, x);
            v[8 + j] = uniform64(p, y);
        } else if (dist == WI_TRUNC_NORMAL && p->tmode == WI_TM_F64) {
            v[j] = trunc64(p, x);
            v[8 + j] = trunc64(p, y);
        } else {
            double c, s, rs = wi_bm_radius_f64(x) * p->width64;
            wi_direction_f64(y, &c, &s);
            v[j] = fma(rs, c, p->lo64);
            v[8 + j] = fma(rs, s, p->lo64);
            if (dist == WI_TRUNC_NORMAL) {
                v[j] = clamp64(p, v[j]);
                v[8 + j] = clamp64(p, v[8 + j]);
            }
        }
    }
}

#define SCALAR_GROUPS32(NAME, DIST, T, CONVERT)                                  \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out) \
    {                                                                            \
        T *o = out;                                                              \
        for (size_t k = 0; k < count; k++, o += WI_GROUP32) {                    \
            float v[WI_GROUP32];                                                 \
            group_f32(DIST, p, group + k, v);                                    \
            for (unsigned l = 0; l < WI_GROUP32; l++) {                          \
                T h = CONVERT(v[l]);                                             \
                memcpy(o + l, &h, sizeof h);                                     \
            }                                                                    \
        }                                                                        \
    }

#define AS_IS(x) (x)
SCALAR_GROUPS32(scalar_uniform_f32, WI_UNIFORM, float, AS_IS)
SCALAR_GROUPS32(scalar_uniform_f16, WI_UNIFORM, uint16_t, wi_f32_to_f16)
SCALAR_GROUPS32(scalar_uniform_bf16, WI_UNIFORM, uint16_t, wi_f32_to_bf16)
SCALAR_GROUPS32(scalar_normal_f32, WI_NORMAL, float, AS_IS)
SCALAR_GROUPS32(scalar_normal_f16, WI_NORMAL, uint16_t, wi_f32_to_f16)
SCALAR_GROUPS32(scalar_normal_bf16, WI_NORMAL, uint16_t, wi_f32_to_bf16)
SCALAR_GROUPS32(scalar_trunc_f32, WI_TRUNC_NORMAL, float, AS_IS)
SCALAR_GROUPS32(scalar_trunc_f16, WI_TRUNC_NORMAL, uint16_t, wi_f32_to_f16)
SCALAR_GROUPS32(scalar_trunc_bf16, WI_TRUNC_NORMAL, uint16_t, wi_f32_to_bf16)

#define SCALAR_GROUPS64(NAME, DIST)                                              \
    static void NAME(const wi_params *p, uint64_t group, size_t count, void *out) \
    {                                                                            \
        unsigned char *o = out;                                                  \
        for (size_t k = 0; k < count; k++, o += 8 * WI_GROUP64) {                \
            double v[WI_GROUP64];                                                \
            group_f64(DIST, p, group + k, v);                                    \
            memcpy(o, v, sizeof v);                                              \
        }                                                                        \
    }

SCALAR_GROUPS64(scalar_uniform_f64, WI_UNIFORM)
SCALAR_GROUPS64(scalar_normal_f64, WI_NORMAL)
SCALAR_GROUPS64(scalar_trunc_f64, WI_TRUNC_NORMAL)

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

void wi_trunc_far_groups(const wi_params *p, uint64_t group, size_t count, void *out)
{
    unsigned char *o = out;
    for (size_t k = 0; k < count; k++, o += 8 * WI_GROUP64) {
        uint32_t xw[16], yw[16];
        double v[WI_GROUP64];
        group_words(p, group + k, xw, yw);
        for (unsigned j = 0; j < 8; j++) {
            v[j] = far_value(p, xw[2 * j] | ((uint64_t)xw[2 * j + 1] << 32));
            v[8 + j] = far_value(p, yw[2 * j] | ((uint64_t)yw[2 * j + 1] << 32));
        }
        memcpy(o, v, sizeof v);
    }
}

void wi_constant_2(const wi_params *p, uint64_t start, size_t n, void *out)
{
    uint16_t b = (uint16_t)p->bits;
    unsigned char *o = out;
    (void)start;
    for (size_t i = 0; i < n; i++)
        memcpy(o + 2 * i, &b, 2);
}

void wi_constant_4(const wi_params *p, uint64_t start, size_t n, void *out)
{
    uint32_t b = (uint32_t)p->bits;
    unsigned char *o = out;
    (void)start;
    for (size_t i = 0; i < n; i++)
        memcpy(o + 4 * i, &b, 4);
}

void wi_constant_8(const wi_params *p, uint64_t start, size_t n, void *out)
{
    unsigned char *o = out;
    (void)start;
    for (size_t i = 0; i < n; i++)
        memcpy(o + 8 * i, &p->bits, 8);
}

WI_DEFINE_TABLE(wi_kernels_scalar, "scalar", scalar);

void wi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    wi_philox_block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], out);
}
