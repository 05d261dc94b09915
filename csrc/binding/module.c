/* weightinit._core: the CPython binding of the C core.
 *
 * Turns NumPy arrays, DLPack capsules and raw (pointer, dtype, shape,
 * strides) views of torch tensors into wi_view values, releases the GIL while
 * the core fills, and maps core status codes to the exceptions and messages
 * torch raises.  Argument policy (which objects are tensors, generators,
 * torch's argument checks) lives in the Python package.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>
#include <errno.h>
#include <string.h>

#include "dlpack_abi.h"
#include "weightinit.h"

#ifndef Py_BEGIN_CRITICAL_SECTION /* before 3.13: every call holds the GIL */
#define Py_BEGIN_CRITICAL_SECTION(op) {
#define Py_END_CRITICAL_SECTION() }
#endif

typedef struct {
    wi_view view;
    int64_t shape[WI_MAX_NDIM];
    int64_t strides[WI_MAX_NDIM];
    PyObject *capsule; /* a consumed DLPack capsule, released by target_release */
    int versioned;
} target;

/* ---------------------------------------------------------------- errors */

static const char *type_name(wi_dtype dtype) /* c10's toString of the scalar type */
{
    static const char *names[] = {"Half", "BFloat16", "Float", "Double"};
    return names[dtype];
}

static const char *cpp_name(wi_dtype dtype) /* how c10 prints the C++ type */
{
    static const char *names[] = {"c10::Half", "c10::BFloat16", "float", "double"};
    return names[dtype];
}

/* A double the way a C++ ostream prints it in torch's messages (%g). */
static PyObject *fmt_g(double x)
{
    char *s = PyOS_double_to_string(x, 'g', 6, 0, NULL);
    PyObject *r = s ? PyUnicode_FromString(s) : NULL;
    PyMem_Free(s);
    return r;
}

static void raise_status(wi_status st, const wi_spec *spec, wi_dtype dtype)
{
    PyObject *a = NULL, *b = NULL;
    int trunc = spec->dist == WI_TRUNC_NORMAL; /* the bounds: uniform's or trunc normal's */
    double lo = trunc ? spec->trunc_normal.a : spec->uniform.a, hi = trunc ? spec->trunc_normal.b : spec->uniform.b;

    switch (st) {
    case WI_E_FROM_RANGE:
        PyErr_Format(PyExc_RuntimeError, "from is out of bounds for %s", cpp_name(dtype));
        break;
    case WI_E_TO_RANGE:
        PyErr_Format(PyExc_RuntimeError, "to is out of bounds for %s", cpp_name(dtype));
        break;
    case WI_E_FROM_GT_TO:
        if ((a = fmt_g(lo)) && (b = fmt_g(hi)))
            PyErr_Format(PyExc_RuntimeError,
                         "uniform_ expects to return a [from, to) range, but found from=%U > to=%U", a, b);
        break;
    case WI_E_WIDTH:
        if ((a = fmt_g(lo)) && (b = fmt_g(hi)))
            PyErr_Format(PyExc_RuntimeError,
                         "uniform_ expects to-from <= std::numeric_limits<%s>::max(), but found "
                         "to=%U and from=%U which result in to-from to exceed the limit",
                         type_name(dtype), b, a);
        break;
    case WI_E_STD:
        if ((b = fmt_g(spec->normal.std)))
            PyErr_Format(PyExc_RuntimeError, "normal expects std >= 0.0, but found std %U", b);
        break;
    case WI_E_CONST_OVERFLOW:
        PyErr_Format(PyExc_RuntimeError, "value cannot be converted to type %s without overflow",
                     cpp_name(dtype));
        break;
    case WI_E_OVERLAP:
        PyErr_SetString(PyExc_RuntimeError,
                        "unsupported operation: more than one element of the written-to tensor "
                        "refers to a single memory location. Please clone() the tensor before "
                        "performing the operation.");
        break;
    case WI_E_MAYBE_OVERLAP:
        PyErr_SetString(PyExc_RuntimeError,
                        "unsupported operation: the strides of the written-to tensor may make two "
                        "elements refer to the same memory location. Please clone() the tensor "
                        "before performing the operation.");
        break;
    case WI_E_TOO_BIG:
        PyErr_SetString(PyExc_ValueError, "tensor: element count or memory extent exceeds 2**62");
        break;
    case WI_E_REGION:
        PyErr_SetString(PyExc_ValueError,
                        "block: offset + shape must lie within full_shape in every dimension");
        break;
    case WI_E_NDIM:
        PyErr_Format(PyExc_ValueError, "tensor: more than %d dimensions or a negative size",
                     WI_MAX_NDIM);
        break;
    case WI_E_DTYPE:
        PyErr_SetString(PyExc_TypeError, "tensor: dtype must be float16, bfloat16, float32 or float64");
        break;
    case WI_E_TRUNC:
        PyErr_SetString(PyExc_ValueError, "trunc_normal_: mean and std must be finite and std > 0");
        break;
    case WI_E_DIST:
        PyErr_Format(PyExc_ValueError, "dist %d is not a distribution code", (int)spec->dist);
        break;
    /* no fill returns these: named, not defaulted, so that -Werror=switch
     * stops the build when a status code is added without a message */
    case WI_OK:
    case WI_E_FAN_NDIM:
    case WI_E_NONLINEARITY:
    case WI_E_GAIN_OVERFLOW:
    case WI_E_ISA:
    case WI_E_KERNELS:
        PyErr_Format(PyExc_SystemError, "weightinit core returned status %d from a fill", (int)st);
        break;
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
}

/* --------------------------------------------------------------- targets */

/* Read through a tuple: without the GIL another thread could resize a list
 * while its items are read, so lists and other sequences are copied into
 * one.  A tuple subclass that iterates as a tuple (torch.Size) is read as it
 * is: its items cannot change, and copying it costs more than reading it. */
static int int64_seq(PyObject *seq, int64_t *out, const char *what)
{
    PyObject *tup = PyTuple_Check(seq) && Py_TYPE(seq)->tp_iter == PyTuple_Type.tp_iter ? Py_NewRef(seq)
                                                                                       : PySequence_Tuple(seq);
    int n = -1;

    if (!tup)
        goto done;
    Py_ssize_t len = PyTuple_GET_SIZE(tup);
    if (len > WI_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "%s: more than %d dimensions", what, WI_MAX_NDIM);
        goto done;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(tup, i));
        if (v == -1 && PyErr_Occurred())
            goto done;
        out[i] = v;
    }
    n = (int)len;
done:
    Py_XDECREF(tup);
    return n;
}

static int target_from_array(PyArrayObject *a, target *t)
{
    int rc = -1;

    switch (PyArray_TYPE(a)) {
    case NPY_HALF: t->view.dtype = WI_F16; break;
    case NPY_FLOAT: t->view.dtype = WI_F32; break;
    case NPY_DOUBLE: t->view.dtype = WI_F64; break;
    default:
        PyErr_Format(PyExc_TypeError, "tensor: dtype must be float16, float32 or float64, not %S",
                     (PyObject *)PyArray_DESCR(a));
        goto done;
    }
    if (!PyArray_ISWRITEABLE(a)) {
        PyErr_SetString(PyExc_ValueError, "tensor is read-only (flags.writeable is False)");
        goto done;
    }
    if (!PyArray_ISNOTSWAPPED(a)) {
        PyErr_SetString(PyExc_ValueError, "tensor: byte-swapped (non-native byte order) arrays are not supported");
        goto done;
    }
    t->view.data = PyArray_DATA(a);
    t->view.ndim = PyArray_NDIM(a);
    for (int d = 0; d < t->view.ndim; d++) {
        t->shape[d] = PyArray_DIMS(a)[d];
        t->strides[d] = PyArray_STRIDES(a)[d];
    }
    rc = 0;
done:
    return rc;
}

/* Take the tensor out of a DLPack capsule and rename the capsule "used_...",
 * so that its destructor does not free the tensor again.  One step under the
 * capsule's lock: without the GIL, two threads could otherwise both take it. */
static wi_dl_tensor *claim_capsule(PyObject *cap, target *t, uint64_t *flags)
{
    wi_dl_tensor *dl = NULL;
    Py_BEGIN_CRITICAL_SECTION(cap);
    if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
        wi_dl_managed_versioned *m = PyCapsule_GetPointer(cap, "dltensor_versioned");
        if (m && m->version.major != 1)
            PyErr_Format(PyExc_BufferError, "tensor: DLPack major version %u is not supported",
                         m->version.major);
        else if (m && PyCapsule_SetName(cap, "used_dltensor_versioned") == 0) {
            dl = &m->dl_tensor;
            *flags = m->flags;
            t->versioned = 1;
        }
    } else if (PyCapsule_IsValid(cap, "dltensor")) {
        wi_dl_managed *m = PyCapsule_GetPointer(cap, "dltensor");
        if (m && PyCapsule_SetName(cap, "used_dltensor") == 0) {
            dl = &m->dl_tensor;
            t->versioned = 0;
        }
    } else {
        PyErr_SetString(PyExc_ValueError, "tensor: DLPack capsule was already consumed or is not a DLPack capsule");
    }
    Py_END_CRITICAL_SECTION();
    return dl;
}

static int target_from_capsule(PyObject *cap, target *t)
{
    int rc = -1;
    uint64_t flags = 0;
    wi_dl_tensor *dl = claim_capsule(cap, t, &flags);

    if (!dl)
        goto done;
    Py_INCREF(cap); /* ours now: target_release calls the deleter */
    t->capsule = cap;

    if (flags & WI_DL_FLAG_READ_ONLY) {
        PyErr_SetString(PyExc_ValueError, "tensor is read-only (DLPack READ_ONLY flag)");
        goto done;
    }
    if (dl->device.device_type != WI_DL_CPU) {
        PyErr_Format(PyExc_ValueError, "tensor: DLPack device type %d is not the CPU", dl->device.device_type);
        goto done;
    }
    if (dl->dtype.lanes == 1 && dl->dtype.code == WI_DL_FLOAT && dl->dtype.bits == 16)
        t->view.dtype = WI_F16;
    else if (dl->dtype.lanes == 1 && dl->dtype.code == WI_DL_BFLOAT && dl->dtype.bits == 16)
        t->view.dtype = WI_BF16;
    else if (dl->dtype.lanes == 1 && dl->dtype.code == WI_DL_FLOAT && dl->dtype.bits == 32)
        t->view.dtype = WI_F32;
    else if (dl->dtype.lanes == 1 && dl->dtype.code == WI_DL_FLOAT && dl->dtype.bits == 64)
        t->view.dtype = WI_F64;
    else {
        PyErr_Format(PyExc_TypeError, "tensor: DLPack dtype (code %d, %d bits, %d lanes) is not a float dtype",
                     dl->dtype.code, dl->dtype.bits, dl->dtype.lanes);
        goto done;
    }
    if (dl->ndim < 0 || dl->ndim > WI_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "tensor: DLPack ndim %d is out of range", dl->ndim);
        goto done;
    }
    int64_t itemsize = dl->dtype.bits / 8, step = itemsize;
    t->view.ndim = dl->ndim;
    t->view.data = (char *)dl->data + dl->byte_offset;
    for (int d = dl->ndim - 1; d >= 0; d--) {
        t->shape[d] = dl->shape[d];
        if (dl->strides) {
            if (__builtin_mul_overflow(dl->strides[d], itemsize, &t->strides[d])) {
                PyErr_SetString(PyExc_ValueError, "tensor: DLPack stride overflows");
                goto done;
            }
        } else {
            t->strides[d] = step;
            step *= dl->shape[d] > 0 ? dl->shape[d] : 1;
        }
    }
    rc = 0;
done:
    return rc;
}

/* (data_ptr, wi_dtype, shape, strides in elements): torch tensors, whose
 * Python layer has checked device, dtype and layout.  PRIVATE to weightinit's
 * Python layer: nothing here can check that the memory exists or is
 * writable, so a raw view writes to whatever address it is given. */
static int target_from_raw(PyObject *tup, target *t)
{
    int rc = -1;
    void *ptr;
    long dtype;
    int ns;

    if (PyTuple_GET_SIZE(tup) != 4) {
        PyErr_SetString(PyExc_TypeError, "raw view must be (data_ptr, dtype, shape, strides)");
        goto done;
    }
    ptr = PyLong_AsVoidPtr(PyTuple_GET_ITEM(tup, 0));
    if (!ptr && PyErr_Occurred())
        goto done;
    dtype = PyLong_AsLong(PyTuple_GET_ITEM(tup, 1));
    if (dtype == -1 && PyErr_Occurred())
        goto done;
    if (dtype < 0 || dtype >= WI_NDTYPE) {
        PyErr_Format(PyExc_ValueError, "raw view: dtype code %ld is out of range", dtype);
        goto done;
    }
    t->view.data = ptr;
    t->view.dtype = (wi_dtype)dtype;
    if ((t->view.ndim = int64_seq(PyTuple_GET_ITEM(tup, 2), t->shape, "shape")) < 0)
        goto done;
    if ((ns = int64_seq(PyTuple_GET_ITEM(tup, 3), t->strides, "strides")) < 0)
        goto done;
    if (ns != t->view.ndim) {
        PyErr_SetString(PyExc_ValueError, "raw view: shape and strides differ in length");
        goto done;
    }
    for (int d = 0; d < ns; d++) {
        if (__builtin_mul_overflow(t->strides[d], (int64_t)wi_itemsize((wi_dtype)dtype), &t->strides[d])) {
            PyErr_SetString(PyExc_ValueError, "raw view: stride overflows");
            goto done;
        }
    }
    rc = 0;
done:
    return rc;
}

static int target_init(PyObject *obj, target *t)
{
    memset(t, 0, sizeof *t);
    t->view.shape = t->shape;
    t->view.strides = t->strides;
    if (PyArray_Check(obj))
        return target_from_array((PyArrayObject *)obj, t);
    if (PyCapsule_CheckExact(obj))
        return target_from_capsule(obj, t);
    if (PyTuple_Check(obj))
        return target_from_raw(obj, t);
    PyErr_Format(PyExc_TypeError, "tensor must be a numpy.ndarray, a DLPack capsule or a raw view, not %.200s",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static void target_release(target *t)
{
    if (!t->capsule)
        return;
    if (t->versioned) {
        wi_dl_managed_versioned *m = PyCapsule_GetPointer(t->capsule, "used_dltensor_versioned");
        if (m && m->deleter)
            m->deleter(m);
    } else {
        wi_dl_managed *m = PyCapsule_GetPointer(t->capsule, "used_dltensor");
        if (m && m->deleter)
            m->deleter(m);
    }
    Py_CLEAR(t->capsule);
}

/* ------------------------------------------------------------- functions */

/* fill's and check's positional parameters p0..p3 (see fill's doc) into the
 * spec's member for spec->dist, which must be a valid code. */
static void set_params(wi_spec *s, const double p[4])
{
    switch (s->dist) {
    case WI_UNIFORM:
        s->uniform.a = p[0];
        s->uniform.b = p[1];
        break;
    case WI_NORMAL:
        s->normal.mean = p[0];
        s->normal.std = p[1];
        break;
    case WI_CONSTANT:
        s->constant.value = p[0];
        break;
    case WI_TRUNC_NORMAL:
        s->trunc_normal.mean = p[0];
        s->trunc_normal.std = p[1];
        s->trunc_normal.a = p[2];
        s->trunc_normal.b = p[3];
        break;
    }
}

static int as_u64(PyObject *o, uint64_t *out)
{
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

/* Fills of fewer elements than this keep the GIL: releasing and taking it
 * back costs more than writing them (NumPy's loops hold it below 500). */
#define WI_GIL_MIN_ELEMS 4096

static int small_fill(const wi_view *v)
{
    int64_t n = 1;
    for (int d = 0; d < v->ndim; d++)
        if (v->shape[d] < 0 || __builtin_mul_overflow(n, v->shape[d], &n) || n >= WI_GIL_MIN_ELEMS)
            return 0;
    return 1;
}

PyDoc_STRVAR(fill_doc,
"fill(tensor, dist, p0, p1, key, stream, full_shape=None, offset=None, p2=0, p3=0)\n--\n\n"
"Fill `tensor` in place: a numpy.ndarray, a DLPack capsule or a raw view\n"
"(data_ptr, dtype code, shape, strides in elements; private to weightinit:\n"
"it writes to any address it is given).  dist is UNIFORM (p0=a,\n"
"p1=b), NORMAL (p0=mean, p1=std), CONSTANT (p0=value) or TRUNC_NORMAL\n"
"(p0=mean, p1=std, p2=a, p3=b).  With full_shape\n"
"and offset, `tensor` is that block of a larger logical tensor and gets the\n"
"values the block gets when the whole tensor is filled.  The GIL is released\n"
"while filling (but for fills of under 4096 elements); nothing is written if\n"
"any check fails.");

static PyObject *py_fill(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *res = NULL;
    target t;
    wi_spec spec = {0};
    wi_region region;
    int64_t full[WI_MAX_NDIM], off[WI_MAX_NDIM];
    double p[4] = {0.0, 0.0, 0.0, 0.0};
    int has_region = 0;
    wi_status st;
    long dist;
    (void)mod;

    memset(&t, 0, sizeof t);
    if (nargs < 6 || nargs > 10) {
        PyErr_SetString(PyExc_TypeError, "fill() takes 6 to 10 positional arguments");
        goto done;
    }
    if (target_init(args[0], &t) < 0)
        goto done;
    dist = PyLong_AsLong(args[1]);
    if (dist == -1 && PyErr_Occurred())
        goto done;
    if (dist < 0 || dist >= WI_NDIST) {
        PyErr_Format(PyExc_ValueError, "dist %ld is out of range", dist);
        goto done;
    }
    spec.dist = (wi_dist)dist;
    if ((p[0] = PyFloat_AsDouble(args[2])) == -1.0 && PyErr_Occurred())
        goto done;
    if ((p[1] = PyFloat_AsDouble(args[3])) == -1.0 && PyErr_Occurred())
        goto done;
    if (as_u64(args[4], &spec.key) < 0 || as_u64(args[5], &spec.stream) < 0)
        goto done;
    if (nargs > 8 && (p[2] = PyFloat_AsDouble(args[8])) == -1.0 && PyErr_Occurred())
        goto done;
    if (nargs > 9 && (p[3] = PyFloat_AsDouble(args[9])) == -1.0 && PyErr_Occurred())
        goto done;
    set_params(&spec, p);
    if (nargs >= 8 && args[6] != Py_None) {
        if (int64_seq(args[6], full, "full_shape") != t.view.ndim ||
            int64_seq(args[7], off, "offset") != t.view.ndim) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "block: full_shape and offset need %d entries, one per dimension",
                             t.view.ndim);
            goto done;
        }
        region.full_shape = full;
        region.offset = off;
        has_region = 1;
    }
    if (small_fill(&t.view)) {
        st = wi_fill(&t.view, has_region ? &region : NULL, &spec);
    } else {
        Py_BEGIN_ALLOW_THREADS
        st = wi_fill(&t.view, has_region ? &region : NULL, &spec);
        Py_END_ALLOW_THREADS
    }
    if (st != WI_OK) {
        raise_status(st, &spec, t.view.dtype);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    target_release(&t);
    return res;
}

PyDoc_STRVAR(check_doc,
"check(dist, p0, p1, dtype, p2=0, p3=0)\n--\n\n"
"Raise the error fill() would raise for these parameters on this dtype code.");

static PyObject *py_check(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    wi_spec spec = {0};
    double p[4] = {0.0, 0.0, 0.0, 0.0};
    long dist, dtype;
    wi_status st;
    (void)mod;

    if (nargs < 4 || nargs > 6) {
        PyErr_SetString(PyExc_TypeError, "check() takes 4 to 6 positional arguments");
        return NULL;
    }
    if ((dist = PyLong_AsLong(args[0])) == -1 && PyErr_Occurred())
        return NULL;
    if ((p[0] = PyFloat_AsDouble(args[1])) == -1.0 && PyErr_Occurred())
        return NULL;
    if ((p[1] = PyFloat_AsDouble(args[2])) == -1.0 && PyErr_Occurred())
        return NULL;
    if ((dtype = PyLong_AsLong(args[3])) == -1 && PyErr_Occurred())
        return NULL;
    if (nargs > 4 && (p[2] = PyFloat_AsDouble(args[4])) == -1.0 && PyErr_Occurred())
        return NULL;
    if (nargs > 5 && (p[3] = PyFloat_AsDouble(args[5])) == -1.0 && PyErr_Occurred())
        return NULL;
    if (dist < 0 || dist >= WI_NDIST || dtype < 0 || dtype >= WI_NDTYPE) {
        PyErr_SetString(PyExc_ValueError, "check(): dist or dtype code out of range");
        return NULL;
    }
    spec.dist = (wi_dist)dist;
    set_params(&spec, p);
    st = wi_check_params(&spec, (wi_dtype)dtype);
    if (st != WI_OK) {
        raise_status(st, &spec, (wi_dtype)dtype);
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(check_view_doc,
"check_view(tensor)\n--\n\n"
"Raise the error fill() would raise for this target's layout (overlapping\n"
"memory, sizes), without writing; for targets filled through a copy.");

static PyObject *py_check_view(PyObject *mod, PyObject *obj)
{
    PyObject *res = NULL;
    wi_spec spec = {0};
    wi_status st;
    target t;
    (void)mod;

    if (target_init(obj, &t) < 0)
        goto done;
    st = wi_check_view(&t.view);
    if (st != WI_OK) {
        raise_status(st, &spec, t.view.dtype);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    target_release(&t);
    return res;
}

PyDoc_STRVAR(fans_doc,
"fans(shape)\n--\n\n"
"(fan_in, fan_out) of a weight of this shape, laid out (out, in, *kernel).");

static PyObject *py_fans(PyObject *mod, PyObject *shape)
{
    int64_t dims[WI_MAX_NDIM];
    int64_t fan_in, fan_out;
    int n;
    wi_status st;
    (void)mod;

    if ((n = int64_seq(shape, dims, "shape")) < 0)
        return NULL;
    st = wi_fans(n, dims, &fan_in, &fan_out);
    switch (st) {
    case WI_OK:
        return Py_BuildValue("(LL)", (long long)fan_in, (long long)fan_out);
    case WI_E_FAN_NDIM:
        PyErr_SetString(PyExc_ValueError,
                        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        break;
    case WI_E_NDIM: /* more than WI_MAX_NDIM dimensions are refused by int64_seq */
        PyErr_Format(PyExc_ValueError, "fans: shape %R has a negative size", shape);
        break;
    case WI_E_TOO_BIG:
        PyErr_SetString(PyExc_OverflowError, "fans: shape product does not fit in 64 bits");
        break;
    default:
        PyErr_Format(PyExc_SystemError, "wi_fans returned status %d", (int)st);
    }
    return NULL;
}

PyDoc_STRVAR(gain_doc,
"gain(nonlinearity, negative_slope)\n--\n\n"
"calculate_gain's value: the int 1 for linear, conv* and sigmoid (as torch\n"
"returns), a float otherwise.  negative_slope is read for leaky_relu only.");

static PyObject *py_gain(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    wi_nonlinearity nl;
    const char *name = NULL;
    Py_ssize_t len = 0;
    double slope, g;
    (void)mod;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "gain() takes 2 positional arguments");
        return NULL;
    }
    if (PyUnicode_Check(args[0]) && !(name = PyUnicode_AsUTF8AndSize(args[0], &len)))
        return NULL;
    if (!name || (size_t)len != strlen(name) || wi_nonlinearity_from_name(name, &nl) != WI_OK) {
        PyErr_Format(PyExc_ValueError, "Unsupported nonlinearity %S", args[0]);
        return NULL;
    }
    if ((slope = PyFloat_AsDouble(args[1])) == -1.0 && PyErr_Occurred())
        return NULL;
    if (wi_gain(nl, slope, &g) != WI_OK) { /* WI_E_GAIN_OVERFLOW: what Python's float ** raises */
        errno = ERANGE;
        PyErr_SetFromErrno(PyExc_OverflowError);
        return NULL;
    }
    if (nl <= WI_NL_SIGMOID)
        return PyLong_FromLong(1);
    return PyFloat_FromDouble(g);
}

PyDoc_STRVAR(philox_doc,
"philox(counter, key)\n--\n\n"
"One Philox4x32-10 block: counter is 4 and key 2 uint32 words.");

static PyObject *py_philox(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t ctr[4], key[2], out[4];
    int64_t tmp[WI_MAX_NDIM];
    (void)mod;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "philox() takes 2 positional arguments");
        return NULL;
    }
    if (int64_seq(args[0], tmp, "counter") != 4) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "counter must have 4 words");
        return NULL;
    }
    for (int i = 0; i < 4; i++)
        ctr[i] = (uint32_t)tmp[i];
    if (int64_seq(args[1], tmp, "key") != 2) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "key must have 2 words");
        return NULL;
    }
    key[0] = (uint32_t)tmp[0];
    key[1] = (uint32_t)tmp[1];
    wi_philox4x32_10(ctr, key, out);
    return Py_BuildValue("(kkkk)", (unsigned long)out[0], (unsigned long)out[1], (unsigned long)out[2],
                         (unsigned long)out[3]);
}

static PyObject *py_isa(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    return PyUnicode_FromString(wi_isa_name());
}

static PyObject *py_set_isa(PyObject *mod, PyObject *name)
{
    const char *s;
    (void)mod;

    if (!(s = PyUnicode_AsUTF8(name)))
        return NULL;
    if (wi_isa_set(s) != WI_OK) {
        PyErr_Format(PyExc_ValueError, "isa %R is unknown or not supported by this CPU", name);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *py_available_isas(PyObject *mod, PyObject *unused)
{
    const char *names[16];
    int n = wi_isa_available(names, 16);
    PyObject *t = PyTuple_New(n);
    (void)mod;
    (void)unused;

    for (int i = 0; t && i < n; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyObject *py_get_num_threads(PyObject *mod, PyObject *unused)
{
    int n;
    (void)mod;
    (void)unused;
    Py_BEGIN_ALLOW_THREADS /* may wait for a running fill */
    n = wi_get_num_threads();
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(n);
}

/* n >= 1; counts above WI_MAX_THREADS (any size of int) use WI_MAX_THREADS. */
static PyObject *py_set_num_threads(PyObject *mod, PyObject *arg)
{
    int overflow;
    long n = PyLong_AsLongAndOverflow(arg, &overflow);
    (void)mod;

    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (overflow < 0 || (!overflow && n < 1)) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: n must be >= 1, got %R", arg);
        return NULL;
    }
    if (overflow > 0 || n > WI_MAX_THREADS)
        n = WI_MAX_THREADS;
    Py_BEGIN_ALLOW_THREADS
    wi_set_num_threads((int)n);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

#define WI_STR_(x) #x
#define WI_STR(x) WI_STR_(x)

static PyMethodDef methods[] = {
    {"fill", (PyCFunction)(void (*)(void))py_fill, METH_FASTCALL, fill_doc},
    {"check", (PyCFunction)(void (*)(void))py_check, METH_FASTCALL, check_doc},
    {"check_view", py_check_view, METH_O, check_view_doc},
    {"fans", py_fans, METH_O, fans_doc},
    {"gain", (PyCFunction)(void (*)(void))py_gain, METH_FASTCALL, gain_doc},
    {"philox", (PyCFunction)(void (*)(void))py_philox, METH_FASTCALL, philox_doc},
    {"isa", py_isa, METH_NOARGS, "The kernel path in use."},
    {"set_isa", py_set_isa, METH_O, "Force a kernel path by name (see available_isas)."},
    {"available_isas", py_available_isas, METH_NOARGS, "Kernel paths this CPU can run, best last."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS,
     "Threads a large fill uses (the caller included); results never depend on it."},
    {"set_num_threads", py_set_num_threads, METH_O,
     "Set the threads a large fill uses (>= 1; more than " WI_STR(WI_MAX_THREADS) " means "
     WI_STR(WI_MAX_THREADS) "); results never depend on it."},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *m)
{
    wi_status st;
    if (PyArray_ImportNumPyAPI() < 0)
        return -1;
    if ((st = wi_isa_init()) == WI_E_KERNELS) {
        PyErr_SetString(PyExc_ImportError, "weightinit core: a kernel table lacks an entry (a build error)");
        return -1;
    }
    if (st != WI_OK) {
        /* an unusable WEIGHTINIT_ISA: say so, keep the best path */
        if (PyErr_WarnFormat(PyExc_RuntimeWarning, 1,
                             "WEIGHTINIT_ISA=%s is unknown or not supported by this CPU; using %s",
                             getenv("WEIGHTINIT_ISA"), wi_isa_name()) < 0)
            return -1;
    }
    /* UNIFORM, NORMAL, ... and F16, BF16, ...: the core's lists (weightinit.h) */
#define ADD_CONSTANT(NAME, name, m)                          \
    if (PyModule_AddIntConstant(m, #NAME, WI_##NAME) < 0) \
        return -1;
    WI_DISTS(ADD_CONSTANT, m)
    WI_DTYPES(ADD_CONSTANT, m)
#undef ADD_CONSTANT
    /* DISTRIBUTIONS: their lower-case names, by code */
#define NAME_(NAME, name, unused) #name,
    static const char *const dist_names[WI_NDIST] = {WI_DISTS(NAME_, )};
#undef NAME_
    PyObject *names = PyTuple_New(WI_NDIST);
    int added = -1;
    for (int d = 0; names && d < WI_NDIST; d++) {
        PyObject *s = PyUnicode_FromString(dist_names[d]);
        if (!s)
            Py_CLEAR(names);
        else
            PyTuple_SET_ITEM(names, d, s);
    }
    if (names)
        added = PyModule_AddObjectRef(m, "DISTRIBUTIONS", names);
    Py_XDECREF(names);
    return added;
}

/* Interpreters and the GIL.
 *
 * One interpreter only: NumPy's C API table (PyArray_API, filled by
 * PyArray_ImportNumPyAPI) is a static of this library, bound to the NumPy of
 * the interpreter that imported it first, and NumPy does not support
 * subinterpreters; the core's state (kernel path, thread count, the pool) is
 * per process, so set_isa or set_num_threads in one interpreter would change
 * another's.
 *
 * No GIL needed (free-threaded builds): every fill but the smallest already
 * runs with the GIL released, concurrently with other fills and with
 * set_isa/set_num_threads, so the core's process-wide state never relied on
 * the GIL -- the pool and the thread count sit behind the pool's mutexes, and
 * the kernel-table pointer is one aligned word (a test switch).  What the
 * binding does with the GIL held touches only its arguments and keeps no
 * state: shapes are read through tuples (int64_seq), a DLPack capsule is
 * claimed under its own lock (claim_capsule), and NumPy arrays are only
 * read. */
static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "weightinit._core",
    .m_doc = "C core of weightinit: in-place fills, fans, gains, Philox.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&moduledef); }
