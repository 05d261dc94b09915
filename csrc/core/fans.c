/* Fans and gains with torch.nn.init's conventions: a weight is laid out as
 * (out_features, in_features, *kernel), and the gains are calculate_gain's. */
#include <math.h>
#include <string.h>

#include "weightinit.h"

wi_status wi_fans(int ndim, const int64_t *shape, int64_t *fan_in, int64_t *fan_out)
{
    wi_status st = WI_OK;
    int64_t receptive = 1;

    if (ndim < 2) {
        st = WI_E_FAN_NDIM;
        goto done;
    }
    if (ndim > WI_MAX_NDIM) {
        st = WI_E_NDIM;
        goto done;
    }
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) {
            st = WI_E_NDIM;
            goto done;
        }
    }
    for (int d = 2; d < ndim; d++) {
        if (__builtin_mul_overflow(receptive, shape[d], &receptive)) {
            st = WI_E_TOO_BIG;
            goto done;
        }
    }
    if (__builtin_mul_overflow(shape[1], receptive, fan_in) || __builtin_mul_overflow(shape[0], receptive, fan_out))
        st = WI_E_TOO_BIG;
done:
    return st;
}

static const char *const nl_names[WI_NL_COUNT] = {
    [WI_NL_LINEAR] = "linear",
    [WI_NL_CONV1D] = "conv1d",
    [WI_NL_CONV2D] = "conv2d",
    [WI_NL_CONV3D] = "conv3d",
    [WI_NL_CONV_TRANSPOSE1D] = "conv_transpose1d",
    [WI_NL_CONV_TRANSPOSE2D] = "conv_transpose2d",
    [WI_NL_CONV_TRANSPOSE3D] = "conv_transpose3d",
    [WI_NL_SIGMOID] = "sigmoid",
    [WI_NL_TANH] = "tanh",
    [WI_NL_RELU] = "relu",
    [WI_NL_LEAKY_RELU] = "leaky_relu",
    [WI_NL_SELU] = "selu",
};

wi_status wi_nonlinearity_from_name(const char *name, wi_nonlinearity *out)
{
    for (int i = 0; i < WI_NL_COUNT; i++) {
        if (strcmp(name, nl_names[i]) == 0) {
            *out = (wi_nonlinearity)i;
            return WI_OK;
        }
    }
    return WI_E_NONLINEARITY;
}

wi_status wi_gain(wi_nonlinearity nl, double negative_slope, double *gain)
{
    wi_status st = WI_OK;

    switch (nl) {
    case WI_NL_TANH: *gain = 5.0 / 3; break;
    case WI_NL_RELU: *gain = sqrt(2.0); break;
    case WI_NL_LEAKY_RELU: {
        double sq = negative_slope * negative_slope;
        if (isfinite(negative_slope) && !isfinite(sq))
            st = WI_E_GAIN_OVERFLOW; /* where Python's float ** 2 raises OverflowError */
        else
            *gain = sqrt(2.0 / (1 + sq));
        break;
    }
    case WI_NL_SELU: *gain = 3.0 / 4; break; /* torch's empirical value (pytorch#50664) */
    default:
        if ((unsigned)nl < WI_NL_COUNT)
            *gain = 1.0; /* linear, conv*, sigmoid */
        else
            st = WI_E_NONLINEARITY;
    }
    return st;
}
