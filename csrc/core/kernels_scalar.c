/* Scalar kernels: the reference path every SIMD path must match bit for bit,
 * and the path used on CPUs without AVX2.  One Philox block at a time. */
#include <string.h>

#include "kernels.h"
#include "philox.h"
#include "wimath.h"

static inline void philox_at(const wi_params *p, uint64_t block, uint32_t r[4])
{
    wi_philox_block((uint32_t)block, (uint32_t)(block >> 32), p->stream[0], p->stream[1],
                    p->key[0], p->key[1], r);
}

/* The four float32 values of one block. */
static inline void block_f32(wi_dist dist, const wi_params *p, const uint32_t r[4], float v[4])
{
    if (dist == WI_UNIFORM) {
        for (int l = 0; l < 4; l++) {
            float y = fmaf(wi_uniform01_f32(r[l]), p->width32, p->lo32);
            v[l] = y < p->hi32 ? y : p->hi32;
        }
        return;
    }
    for (int l = 0; l < 4; l += 2) {
        float c, s;
        float rad = wi_bm_radius_f32(r[l]);
        wi_cossin_2pi_f32(r[l + 1], &c, &s);
        v[l] = fmaf(rad * c, p->width32, p->lo32);
        v[l + 1] = fmaf(rad * s, p->width32, p->lo32);
    }
}

/* The two float64 values of one block. */
static inline void block_f64(wi_dist dist, const wi_params *p, const uint32_t r[4], double v[2])
{
    uint64_t x0 = r[0] | ((uint64_t)r[1] << 32);
    uint64_t x1 = r[2] | ((uint64_t)r[3] << 32);
    if (dist == WI_UNIFORM) {
        double y0 = fma(wi_uniform01_f64(x0), p->width64, p->lo64);
        double y1 = fma(wi_uniform01_f64(x1), p->width64, p->lo64);
        v[0] = y0 < p->hi64 ? y0 : p->hi64;
        v[1] = y1 < p->hi64 ? y1 : p->hi64;
        return;
    }
    double c, s;
    double rad = wi_bm_radius_f64(x0);
    wi_cossin_2pi_f64(x1, &c, &s);
    v[0] = fma(rad * c, p->width64, p->lo64);
    v[1] = fma(rad * s, p->width64, p->lo64);
}

static inline void store_f32(unsigned char *o, float v) { memcpy(o, &v, 4); }
static inline void store_f16(unsigned char *o, float v) { uint16_t h = wi_f32_to_f16(v); memcpy(o, &h, 2); }
static inline void store_bf16(unsigned char *o, float v) { uint16_t h = wi_f32_to_bf16(v); memcpy(o, &h, 2); }

#define WI_GEN32(NAME, DIST, SIZE, STORE)                                              \
    static void NAME(const wi_params *p, uint64_t start, size_t n, void *out)         \
    {                                                                                  \
        unsigned char *o = out;                                                        \
        uint64_t i = start, end = start + n;                                           \
        while (i < end) {                                                              \
            uint32_t r[4];                                                             \
            float v[4];                                                                \
            philox_at(p, i >> 2, r);                                                   \
            block_f32(DIST, p, r, v);                                                  \
            for (unsigned l = (unsigned)(i & 3u); l < 4 && i < end; l++, i++, o += SIZE) \
                STORE(o, v[l]);                                                        \
        }                                                                              \
    }

WI_GEN32(uniform_f32, WI_UNIFORM, 4, store_f32)
WI_GEN32(uniform_f16, WI_UNIFORM, 2, store_f16)
WI_GEN32(uniform_bf16, WI_UNIFORM, 2, store_bf16)
WI_GEN32(normal_f32, WI_NORMAL, 4, store_f32)
WI_GEN32(normal_f16, WI_NORMAL, 2, store_f16)
WI_GEN32(normal_bf16, WI_NORMAL, 2, store_bf16)

#define WI_GEN64(NAME, DIST)                                                           \
    static void NAME(const wi_params *p, uint64_t start, size_t n, void *out)         \
    {                                                                                  \
        unsigned char *o = out;                                                        \
        uint64_t i = start, end = start + n;                                           \
        while (i < end) {                                                              \
            uint32_t r[4];                                                             \
            double v[2];                                                               \
            philox_at(p, i >> 1, r);                                                   \
            block_f64(DIST, p, r, v);                                                  \
            for (unsigned l = (unsigned)(i & 1u); l < 2 && i < end; l++, i++, o += 8)  \
                memcpy(o, &v[l], 8);                                                   \
        }                                                                              \
    }

WI_GEN64(uniform_f64, WI_UNIFORM)
WI_GEN64(normal_f64, WI_NORMAL)

static void constant_2(const wi_params *p, uint64_t start, size_t n, void *out)
{
    uint16_t b = (uint16_t)p->bits;
    unsigned char *o = out;
    (void)start;
    for (size_t i = 0; i < n; i++)
        memcpy(o + 2 * i, &b, 2);
}

static void constant_4(const wi_params *p, uint64_t start, size_t n, void *out)
{
    uint32_t b = (uint32_t)p->bits;
    unsigned char *o = out;
    (void)start;
    for (size_t i = 0; i < n; i++)
        memcpy(o + 4 * i, &b, 4);
}

static void constant_8(const wi_params *p, uint64_t start, size_t n, void *out)
{
    unsigned char *o = out;
    (void)start;
    for (size_t i = 0; i < n; i++)
        memcpy(o + 8 * i, &p->bits, 8);
}

const wi_kernel_table wi_kernels_scalar = {
    "scalar",
    {
        [WI_UNIFORM] = {[WI_F16] = uniform_f16, [WI_BF16] = uniform_bf16,
                        [WI_F32] = uniform_f32, [WI_F64] = uniform_f64},
        [WI_NORMAL] = {[WI_F16] = normal_f16, [WI_BF16] = normal_bf16,
                       [WI_F32] = normal_f32, [WI_F64] = normal_f64},
        [WI_CONSTANT] = {[WI_F16] = constant_2, [WI_BF16] = constant_2,
                         [WI_F32] = constant_4, [WI_F64] = constant_8},
    },
};

void wi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    wi_philox_block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], out);
}
