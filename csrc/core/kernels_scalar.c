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

/* The 32 float32 values of group g. */
static void group_f32(wi_dist dist, const wi_params *p, uint64_t g, float v[WI_GROUP32])
{
    uint32_t xw[16], yw[16];
    group_words(p, g, xw, yw);
    for (unsigned l = 0; l < 16; l++) {
        if (dist == WI_UNIFORM) {
            v[l] = uniform32(p, xw[l]);
            v[16 + l] = uniform32(p, yw[l]);
        } else {
            float c, s, rs = wi_bm_radius_f32(xw[l]) * p->width32;
            wi_direction_f32(yw[l], &c, &s);
            v[l] = fmaf(rs, c, p->lo32);
            v[16 + l] = fmaf(rs, s, p->lo32);
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
        } else {
            double c, s, rs = wi_bm_radius_f64(x) * p->width64;
            wi_direction_f64(y, &c, &s);
            v[j] = fma(rs, c, p->lo64);
            v[8 + j] = fma(rs, s, p->lo64);
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
