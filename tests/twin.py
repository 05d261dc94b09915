"""Slow twin of the C core: the same algorithm, one element at a time, in
Python integers, NumPy float32/float64 scalars and an exact fused multiply-add
(rational arithmetic, then one correct rounding).  Tests compare the core's
bits against it element for element.
"""

from fractions import Fraction

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
    "-0x1.38b578p-4", "0x1.055b68p-3", "-0x1.0d8542p-3", "0x1.22da1ep-3",
    "-0x1.547244p-3", "0x1.99a008p-3", "-0x1.000226p-2", "0x1.555554p-2")]
SIN32 = [F32(1) / F32(362880), F32(-1) / F32(5040), F32(1) / F32(120), F32(-1) / F32(6)]
COS32 = [F32(-1) / F32(3628800), F32(1) / F32(40320), F32(-1) / F32(720), F32(1) / F32(24),
         F32(-1) / F32(2)]
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


def value(dist, p0, p1, key, stream, i, dtype):
    """The float32 (f16/bf16/f32) or float64 value of logical index i, by the
    group mapping of csrc/core/kernels.h."""
    if dtype == "f64":
        g, o = divmod(i, 16)
        half, j = divmod(o, 8)
        r = _words(key, stream, 8 * g + j)
        x, y = r[0] | (r[1] << 32), r[2] | (r[3] << 32)
        if dist == "uniform":
            lo, w, hi = uniform_params(p0, p1, dtype)
            v = fma64(F64((x, y)[half] >> 11) * 2.0**-53, w, lo)
            return v if v < hi else hi
        c, s = direction64(y)
        return fma64(radius64(x) * F64(p1), (c, s)[half], F64(p0))
    g, o = divmod(i, 32)
    half, l = divmod(o, 16)
    r = _words(key, stream, 8 * g + l // 2)
    xw, yw = r[l % 2], r[2 + l % 2]
    if dist == "uniform":
        lo, w, hi = uniform_params(p0, p1, dtype)
        v = fma32(F32((xw, yw)[half] >> 8) * F32(2.0**-24), w, lo)
        return v if v < hi else hi
    c, s = direction32(yw)
    return fma32(radius32(xw) * F32(p1), (c, s)[half], F32(p0))
