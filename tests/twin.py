"""Slow twin of the C core: the same algorithm, one element at a time, in
Python integers, NumPy float32/float64 scalars and an exact fused multiply-add
(rational arithmetic, then one correct rounding).  Tests compare the core's
bits against it element for element.
"""

from fractions import Fraction
from functools import lru_cache

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
U32 = 0xFFFFFFFF
F32, F64 = np.float32, np.float64


def philox(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & U32, (k1 + W1) & U32
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & U32, (p0 >> 32) ^ c3 ^ k1, p0 & U32
    return c0, c1, c2, c3


def _round_odd_f64(x):
    """x rounded to double with round-to-odd; rounding that to float32 is then
    the correct float32 rounding of x (53 >= 24 + 2)."""
    d = float(x)
    fd = Fraction(d)
    if fd == x:
        return d
    bits = np.array(d).view(np.uint64).item()
    if bits & 1 == 0:
        toward_larger_magnitude = (x > fd) == (d > 0)
        bits += 1 if toward_larger_magnitude else -1
    return np.array(bits, dtype=np.uint64).view(np.float64).item()


def fma32(a, b, c):
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    return F32(_round_odd_f64(exact))


def fma64(a, b, c):
    return F64(float(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))))


def bits_f32(x):
    return np.array(x, dtype=F32).view(np.uint32).item()


def from_bits_f32(u):
    return np.array(u, dtype=np.uint32).view(F32)[()]


def bits_f64(x):
    return np.array(x, dtype=F64).view(np.uint64).item()


def from_bits_f64(u):
    return np.array(u, dtype=np.uint64).view(F64)[()]


# ---- float32 numerics (wimath.h) ----

LOG32 = [F32(float.fromhex(h)) for h in (
    "0x1.645eb0p-4", "-0x1.2432b8p-3", "0x1.317456p-3", "-0x1.53824ap-3",
    "0x1.98d7f2p-3", "-0x1.000382p-2", "0x1.5556d8p-2")]
SIN32 = [F32(float.fromhex(h)) for h in ("-0x1.994ebep-13", "0x1.110760p-7", "-0x1.555546p-3")]
COS32 = [F32(float.fromhex(h)) for h in ("0x1.99341cp-16", "-0x1.6c087ep-10", "0x1.55553ep-5",
                                         "-0x1.000000p-1")]
LN2_32 = F32(float.fromhex("0x1.62e430p-1"))
QUARTER_PI_2M24 = F32(float.fromhex("0x1.921fb6p-25"))


def log32(x):
    ix = (bits_f32(x) - 0x3F3504F3) & U32
    e = ix - (1 << 32) if ix & 0x80000000 else ix
    e >>= 23
    m = from_bits_f32((ix & 0x007FFFFF) + 0x3F3504F3)
    f = m - F32(1)
    p = fma32(LOG32[0], f, LOG32[1])
    for c in LOG32[2:]:
        p = fma32(p, f, c)
    logm = fma32(f * f, fma32(f, p, F32(-0.5)), f)
    return fma32(F32(e), LN2_32, logm)


def radius32(x):
    u1 = fma32(F32(x), F32(2.0**-32), F32(2.0**-33))
    return np.sqrt(F32(-2) * log32(u1))


def _octant(c, s, y, bits):
    """Bit bits-3 of y swaps (c, s); bits-1 and bits-2 negate them."""
    if (y >> (bits - 3)) & 1:
        c, s = s, c
    return (-c if (y >> (bits - 1)) & 1 else c), (-s if (y >> (bits - 2)) & 1 else s)


def direction32(y):
    t = F32((y >> 5) & 0xFFFFFF) * QUARTER_PI_2M24
    t2 = t * t
    ps = fma32(SIN32[0], t2, SIN32[1])
    for c in SIN32[2:]:
        ps = fma32(ps, t2, c)
    s = fma32(t * t2, ps, t)
    pc = fma32(COS32[0], t2, COS32[1])
    for c in COS32[2:]:
        pc = fma32(pc, t2, c)
    c = fma32(t2, pc, F32(1))
    return _octant(c, s, y, 32)


# ---- float64 numerics ----

LOG64 = [1.0 / n for n in (23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3)]
SIN64 = [1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
         1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0]
COS64 = [-1.0 / 6402373705728000.0, 1.0 / 20922789888000.0, -1.0 / 87178291200.0,
         1.0 / 479001600.0, -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -1.0 / 2.0]
LN2_64 = float.fromhex("0x1.62e42fefa39efp-1")
QUARTER_PI_2M53 = float.fromhex("0x1.921fb54442d18p-54")


def log64(x):
    ix = (bits_f64(x) - 0x3FE6A09E667F3BCD) & ((1 << 64) - 1)
    e = (ix - (1 << 64) if ix >> 63 else ix) >> 52
    m = from_bits_f64((ix & 0x000FFFFFFFFFFFFF) + 0x3FE6A09E667F3BCD)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    p = F64(LOG64[0])
    for c in LOG64[1:]:
        p = fma64(p, z, c)
    hs = s + s
    logm = fma64(hs * z, p, hs)
    return fma64(F64(e), LN2_64, logm)


def radius64(x):
    u1 = (F64(x >> 12) + 0.5) * 2.0**-52
    return np.sqrt(F64(-2.0) * log64(u1))


def direction64(y):
    t = F64((y >> 8) & ((1 << 53) - 1)) * QUARTER_PI_2M53
    t2 = t * t
    ps = F64(SIN64[0])
    for c in SIN64[1:]:
        ps = fma64(ps, t2, c)
    s = fma64(t * t2, ps, t)
    pc = F64(COS64[0])
    for c in COS64[1:]:
        pc = fma64(pc, t2, c)
    c = fma64(t2, pc, 1.0)
    return _octant(c, s, y, 64)


# ---- fills ----

def _words(key, stream, block):
    return philox((block & U32, block >> 32, stream & U32, stream >> 32), (key & U32, key >> 32))


def uniform_params(a, b, dtype):
    if dtype == "f64":
        hi = np.nextafter(b, -np.inf) if a < b else a
        return F64(a), F64(b - a), F64(hi)
    a32, b32 = F32(a), F32(b)
    hi = np.nextafter(b32, F32(-np.inf)) if a32 < b32 else a32
    return a32, F32(b - a), hi


def _pair(key, stream, i, dtype):
    """(x, y, which): the two Philox words behind logical index i, by the group
    mapping of csrc/core/kernels.h (64-bit words for float64, 32-bit ones
    otherwise), and which of the pair's two values index i takes."""
    if dtype == "f64":
        g, o = divmod(i, 16)
        which, j = divmod(o, 8)
        r = _words(key, stream, 8 * g + j)
        return r[0] | (r[1] << 32), r[2] | (r[3] << 32), which
    g, o = divmod(i, 32)
    which, l = divmod(o, 16)
    r = _words(key, stream, 8 * g + l // 2)
    return r[l % 2], r[2 + l % 2], which


# Each distribution's value of logical index i, in float32 (for f16, bf16 and
# f32 targets: a 16-bit dtype holds its round-to-nearest-even) or float64
# (f64).  tests/registry.py names these next to the core's distributions.

def uniform(a, b, key, stream, i, dtype):
    x, y, which = _pair(key, stream, i, dtype)
    lo, w, hi = uniform_params(a, b, dtype)
    if dtype == "f64":
        v = fma64(F64((x, y)[which] >> 11) * 2.0**-53, w, lo)
    else:
        v = fma32(F32((x, y)[which] >> 8) * F32(2.0**-24), w, lo)
    return v if v < hi else hi


def normal(mean, std, key, stream, i, dtype):
    x, y, which = _pair(key, stream, i, dtype)
    if dtype == "f64":
        return fma64(radius64(x) * F64(std), direction64(y)[which], F64(mean))
    return fma32(radius32(x) * F32(std), direction32(y)[which], F32(mean))


def constant(value, key, stream, i, dtype):
    """torch converts the double to float32 first, then to a 16-bit dtype."""
    return F64(value) if dtype == "f64" else F32(value)


# ---- trunc normal (csrc/core/params.c prepare_trunc, kernels_driver.h trunc_ps/trunc_pd) ----

def _hex32(*hs):
    return [F32(float.fromhex(h)) for h in hs]


TQ_S0_32 = F32(0.075)
TQ_S1_32 = F32(0.0195)
TQ_C32 = F32(float.fromhex("0x1.cf9db2p-2"))
TQ_BN32 = _hex32("0x1.ac1046p+0", "-0x1.aa24f6p+5", "0x1.9ec024p+8", "0x1.25526ep+3", "-0x1.4633c4p+11")
TQ_BD32 = _hex32("0x1.000000p+0", "-0x1.2f631ep+5", "0x1.aaa89ep+8", "-0x1.4965bcp+10")
TQ_CN32 = _hex32("0x1.40d932p+1", "-0x1.1dc560p+4", "0x1.23f1c8p+5", "-0x1.0dc244p+4", "-0x1.6c460ap+1")
TQ_CD32 = _hex32("0x1.000000p+0", "-0x1.0585ccp+3", "0x1.4d06bcp+4", "-0x1.fe9598p+3")
TQ_TN32 = _hex32("-0x1.81e246p+1", "-0x1.4184e4p+2", "0x1.789d7ep+1", "0x1.532d62p+1", "0x1.18627ap-2")
TQ_TD32 = _hex32("0x1.000000p+0", "0x1.06eb72p+2", "0x1.54928cp+1", "0x1.183564p-2", "0x1.db7a06p-20")
TQ_CN64 = [float.fromhex(h) for h in (
    "0x1.40d931ff62706p+1", "-0x1.ed472f3eaae8bp+4", "0x1.1fce0abc01c96p+7", "-0x1.3b059d8a658a8p+8",
    "0x1.4043e4530e9dfp+8", "-0x1.f35f0929df8f3p+6", "0x1.1dcf965d69068p+3")]
TQ_CD64 = [float.fromhex(h) for h in (
    "0x1.0000000000000p+0", "-0x1.ab16daa28951fp+3", "0x1.14544b27c5d1cp+6", "-0x1.5b10e8c29b20ep+7",
    "0x1.ae1dbe56844f6p+7", "-0x1.d20b9ec512598p+6", "0x1.2765eb87154b8p+4")]
TQ_T1N64 = [float.fromhex(h) for h in (
    "-0x1.c44d58f590e97p+1", "-0x1.8817e10f034c3p+4", "-0x1.9bf002c07c153p+4", "0x1.e6dddcccaaec6p+2",
    "0x1.23cacc4e918e7p+4", "0x1.ee3be4b555ee5p+2", "0x1.2076c912238d8p+0", "0x1.6789273b53ba3p-5")]
TQ_T1D64 = [float.fromhex(h) for h in (
    "0x1.0000000000000p+0", "0x1.703d951f242dcp+3", "0x1.abd23d6c8d5f7p+4", "0x1.61c6fd1b69c4bp+4",
    "0x1.fc71e433e92b7p+2", "0x1.20b105f6a6429p+0", "0x1.67770ee363b21p-5", "0x1.0daa1b920aa51p-24")]
TQ_T2N64 = [float.fromhex(h) for h in (
    "0x1.c69844e3f32cap+2", "0x1.e8f0fe14145f2p+6", "0x1.a3fbf11e20718p+9", "0x1.7049cdcc64335p+11",
    "0x1.5d36116a516f1p+12", "0x1.5c58900d63343p+12", "0x1.458c8a7ae6462p+11", "0x1.9fea91b7e0c3ep+8")]
TQ_T2D64 = [float.fromhex(h) for h in (
    "0x1.0000000000000p+0", "0x1.950d153b21dadp+3", "0x1.e94ec6bc824a6p+5", "0x1.1a6237e097f96p+7",
    "0x1.3ee032e7f93c2p+7", "0x1.41159670e1921p+6", "0x1.aa93fd9fbebd0p+3", "0x1.109548ba37d28p-18")]


def _horner(c, x, fma):
    acc = c[-1]
    for v in reversed(c[:-1]):
        acc = fma(acc, x, v)
    return acc


def quantile32(s):
    t = F32(0.5) - s
    if s >= TQ_S0_32:
        z = t * t
        return t * (_horner(TQ_CN32, z, fma32) / _horner(TQ_CD32, z, fma32))
    if s >= TQ_S1_32:
        w = t - TQ_C32
        return F32(1) * (_horner(TQ_BN32, w, fma32) / _horner(TQ_BD32, w, fma32))
    r = np.sqrt(F32(-2) * log32(s))
    return F32(1) * (_horner(TQ_TN32, r, fma32) / _horner(TQ_TD32, r, fma32))


def quantile64(s):
    r = np.sqrt(F64(-2.0) * log64(s))
    t = F64(0.5) - s
    z = t * t
    if s >= 0.15:
        return t * (_horner(TQ_CN64, z, fma64) / _horner(TQ_CD64, z, fma64))
    if r <= 7.5:
        return F64(1.0) * (_horner(TQ_T1N64, r, fma64) / _horner(TQ_T1D64, r, fma64))
    xt = (r - F64(7.5)) * F64(1.0 / 31.2)
    return F64(1.0) * (_horner(TQ_T2N64, xt, fma64) / _horner(TQ_T2D64, xt, fma64))


def _half_bound(x, dtype, up):
    """Smallest (up) / largest value of a 16-bit dtype on the right side of x."""
    codes = np.arange(0, 0x10000, dtype=np.uint32)
    with np.errstate(invalid="ignore"):
        grid = (codes.astype(np.uint16).view(np.float16) if dtype == "f16"
                else (codes << 16).view(np.float32)).astype(np.float64)
    grid = np.unique(grid[~np.isnan(grid)])
    cand = grid[grid >= x] if up else grid[grid <= x]
    return cand.min() if up else cand.max()


def _bound(x, dtype, up):
    if dtype == "f64":
        return x
    if dtype == "f32":
        f = F32(x)
        if (float(f) < x) if up else (float(f) > x):
            f = np.nextafter(f, F32(np.inf) if up else F32(-np.inf))
        return float(f)
    return _half_bound(x, dtype, up)


@lru_cache(maxsize=64)  # a 16-bit dtype's bounds enumerate its 65536 values
def trunc_params(mean, sd, a, b, dtype):
    from math import erfc, expm1
    phi = lambda x: 0.5 * erfc(-x * 0.70710678118654752440)
    al, be = (a - mean) / sd, (b - mean) / sd
    lo, hi = _bound(a, dtype, True), _bound(b, dtype, False)
    if lo > hi:
        lo = hi = hi if a - hi <= lo - b else lo
    reach = 9.0 if dtype == "f64" else 7.0
    p = {"lo": lo, "hi": hi, "mean": mean, "sd": sd}
    if al <= -reach and be >= reach:
        p["mode"] = "normal"
        return p
    pa, qb = phi(al), phi(-be)
    mass = phi(-al) - qb if al >= 0 else phi(be) - pa if be <= 0 else 1.0 - pa - qb
    p.update(pa=pa, qb=qb, mass=mass)
    smallest = min(pa, qb)
    if dtype != "f64" and smallest + 2.0**-33 * mass >= 2.0**-120:
        p["mode"] = "f32"
    elif smallest + 2.0**-52 * mass >= 2.0**-1000:
        p["mode"] = "f64"
    else:
        right = al > 0
        near = al if right else -be
        p.update(mode="far", near=near, span=-expm1(-near * (be - al)), start=a if right else b,
                 dir=sd if right else -sd)
    return p


def _clamp(v, lo, hi):
    v = v if v > lo else lo
    return v if v < hi else hi


def trunc_value(p, key, stream, i, dtype):
    """The value of index i before narrowing to a 16-bit dtype (float32 or float64)."""
    if p["mode"] == "normal":
        v = normal(p["mean"], p["sd"], key, stream, i, dtype)
        wide = F64 if dtype == "f64" else F32
        return _clamp(v, wide(p["lo"]), wide(p["hi"]))
    if p["mode"] == "f32":
        x, y, which = _pair(key, stream, i, "f32")
        w = (x, y)[which]
        u = fma32(F32(w), F32(2.0**-32), F32(2.0**-33))
        v = fma32(F32(w ^ U32), F32(2.0**-32), F32(2.0**-33))
        lower = fma32(u, F32(p["mass"]), F32(p["pa"]))
        upper = fma32(v, F32(p["mass"]), F32(p["qb"]))
        left = lower <= upper
        x = quantile32(lower if left else upper)
        return _clamp(fma32(-x if left else x, F32(p["sd"]), F32(p["mean"])), F32(p["lo"]), F32(p["hi"]))
    x, y, which = _pair(key, stream, i, "f64")  # float64 sampling, whatever the target
    w = (x, y)[which]
    u = (F64(w >> 12) + 0.5) * 2.0**-52
    lo, hi = F64(p["lo"]), F64(p["hi"])
    if p["mode"] == "far":
        y = -u * F64(p["span"])
        wv = F64(1.0) + y
        l1p = y if wv == 1.0 else log64(wv) * (y / (wv - F64(1.0)))
        v = _clamp(fma64(p["dir"], -l1p / F64(p["near"]), p["start"]), lo, hi)
    else:
        uc = (F64((w ^ ((1 << 64) - 1)) >> 12) + 0.5) * 2.0**-52
        lower = fma64(u, p["mass"], p["pa"])
        upper = fma64(uc, p["mass"], p["qb"])
        left = lower <= upper
        x = quantile64(lower if left else upper)
        v = _clamp(fma64(-x if left else x, p["sd"], p["mean"]), lo, hi)
    return v if dtype == "f64" else F32(v)


def trunc_normal(mean, std, a, b, key, stream, i, dtype):
    return trunc_value(trunc_params(mean, std, a, b, dtype), key, stream, i, dtype)
