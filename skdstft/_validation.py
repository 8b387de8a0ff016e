"""Every input check of skdstft in one place.

Each checker takes the value and the parameter's public name, and raises
``TypeError`` (wrong kind of object: strings, booleans, objects, complex
where real is expected) or ``ValueError`` (right kind, wrong value: shape,
size, range, NaN or inf) with a message that names the parameter and what
was expected. The array checkers are thin wrappers of :func:`as_real_array`
(and of its typing step :func:`_numeric_array`), so a given mistake gets the
same exception and wording whichever array it is made in. Checkers see
through autograd boxes: they inspect the wrapped value and never unbox the
argument that the caller goes on to differentiate.

The one deliberate exception is an estimator's ``X``
(:func:`check_signal_matrix`): scikit-learn's estimator checks require a
``ValueError`` for complex data there.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from autograd.tracer import getval

__all__ = [
    "as_real_array",
    "check_signal",
    "check_n_fft",
    "check_win_length",
    "check_positions",
    "check_lengths",
    "check_lengths_per_frame",
    "check_target_frequencies",
    "check_hop_frames",
    "check_normalization",
    "check_int",
    "check_real",
    "check_choice",
    "check_band",
    "check_band_bins",
    "check_spectrogram",
    "check_signal_matrix",
    "check_inverse_spectrogram",
    "check_frame_count",
    "check_win_length_bounds",
    "check_constant",
    "check_window_name",
    "check_window_definition",
]


def _describe(value):
    if isinstance(value, (str, bytes)):
        return f"{type(value).__name__} {value!r}"
    arr = np.asarray(value)
    return f"{type(value).__name__} with dtype {arr.dtype} and shape {arr.shape}"


def _numeric_array(value, name, expected, *, complex_ok=False):
    """``value`` (seen through an autograd box) as a numpy array of numbers.

    TypeError for strings, booleans, non-numeric objects, and complex values
    unless ``complex_ok``; ValueError for ragged nested sequences (a shape
    problem). Copies nothing but object arrays, which are converted to see
    whether their entries are numbers.
    """
    val = getval(value)
    if isinstance(val, (str, bytes)):
        raise TypeError(f"{name} must be {expected}, got {_describe(val)}")
    try:
        arr = np.asarray(val)
    except ValueError:  # numpy refuses ragged nested lists
        arr = None
    if arr is None or (arr.dtype == object and any(np.ndim(v) for v in arr.flat)):
        raise ValueError(f"{name} must be a rectangular array (equal-length rows), got nested "
                         "sequences of different lengths")
    if arr.dtype == object:
        errors = []
        for dtype in (np.float64, np.complex128)[:1 + complex_ok]:
            try:
                arr = arr.astype(dtype)
                break
            except (TypeError, ValueError) as exc:
                errors.append(exc)
        else:
            # numpy's words ("argument must be a string or a real number") are
            # kept: scikit-learn's check_dtype_object matches them
            raise TypeError(f"{name} must be {expected}, got an object array with "
                            f"non-numeric entries ({errors[0]})")
    if arr.dtype.kind not in ("iufc" if complex_ok else "iuf"):
        hint = (f"; pass {name}.real, {name}.imag or abs({name}) explicitly"
                if arr.dtype.kind == "c" else "")
        raise TypeError(f"{name} must be {expected}, got {_describe(val)}{hint}")
    return arr


def as_real_array(value, name, *, ndims=None, shape=None, expected="real numbers",
                  nonempty=True, finite=True, positive=False, complex_ok=False):
    """The numpy value of an array argument, checked; the one array validator.

    ``value`` (an array_like or an autograd box, which is never unboxed) is
    checked under ``name``, its public name. ``ndims``: the allowed numbers
    of dimensions, worded by ``shape`` in the message; ``expected``: what
    the entries must be, for the TypeError's message; ``nonempty``,
    ``finite``, ``positive``: at least one element, no NaN or inf, every
    element > 0; ``complex_ok``: complex values accepted (a spectrogram).

    Returns the numbers as given (not converted to float, not copied unless
    ``value`` is an object array or a list). Raises TypeError for strings,
    booleans, non-numeric objects and complex values (unless
    ``complex_ok``), ValueError for ragged sequences and every failed
    requirement on the shape or the values.
    """
    arr = _numeric_array(value, name, expected, complex_ok=complex_ok)
    if ndims is not None and arr.ndim not in ndims:
        shape = shape or " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {shape}, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, but {name} contains NaN or infinite values")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got min {arr.min():g}")
    return arr


def check_signal(x, name="x", *, ndims=(1, 2)):
    """Validate a real signal (N,) or batch of signals (B, N); return it as a
    float array.

    Real inputs are accepted: floats, and integers (converted to float64, not
    rescaled). float32 stays float32, every other real type becomes float64;
    booleans are rejected. An autograd box is returned as it is.
    """
    arr = as_real_array(x, name, ndims=ndims, expected="a real signal array")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64, copy=False)
    if isinstance(x, np.ndarray) or x is getval(x):
        return arr
    return x  # an autograd box: the caller keeps differentiating through it


def check_int(value, name, *, min_value=None, max_value=None):
    """An integer (Python or numpy, not bool) within optional bounds."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {value}")
    if max_value is not None and value > max_value:
        raise ValueError(f"{name} must be <= {max_value}, got {value}")
    return value


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False,
               exclude=None):
    """A finite real scalar within optional bounds (open or closed), other
    than ``exclude`` (a value whose meaning is given by another function)."""
    value = getval(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        if not (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"):
            raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    if exclude is not None and value == exclude[0]:
        raise ValueError(f"{name} must differ from {exclude[0]:g} ({exclude[1]})")
    return value


def check_choice(value, name, choices):
    """One of a fixed set of strings (or None when None is in ``choices``)."""
    if (value is not None and not isinstance(value, str)) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_n_fft(n_fft):
    """FFT size: an even integer >= 4."""
    n_fft = check_int(n_fft, "n_fft", min_value=4)
    if n_fft % 2:
        raise ValueError(f"n_fft must be even, got {n_fft}")
    return n_fft


def check_window_name(window, registry):
    """The name of a window in ``registry`` (a mapping name -> window)."""
    if not isinstance(window, str):
        raise TypeError(f"window must be a window name or a Window, got {window!r}")
    if window not in registry:
        raise ValueError(f"window must be one of {sorted(registry)} (or registered with "
                         f"skdstft.windows.register_window); got {window!r}")
    return window


def check_window_definition(name, value, derivative, *, taken=False):
    """A base window to register under ``name`` (``taken``: the name exists
    and may not be replaced): callables ``b`` and ``b'``, with ``b`` finite
    and 0 at ``u = +-1/2``, or the transform would jump when the window
    length changes."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if not callable(value) or not callable(derivative):
        raise TypeError("value and derivative must be callables of a float array u")
    if taken:
        raise ValueError(f"a window named {name!r} exists; pass overwrite=True to replace it")
    edges = as_real_array(value(np.array([-0.5, 0.5])), "value(u)", ndims=(1,),
                          shape="an array of the shape of u")
    if edges.shape != (2,):
        raise ValueError(f"value(u) must be an array of the shape of u, got shape {edges.shape}")
    if np.max(np.abs(edges)) > 1e-8:
        raise ValueError(f"window {name!r} must vanish at u = +-1/2 (got {edges.tolist()}); "
                         "otherwise the transform jumps when the window length changes")


def check_win_length_bounds(bounds, n_fft):
    """Window-length bounds ``(lo, hi)`` in samples, ``0 < lo < hi <= n_fft - 2``;
    ``None`` gives the default ``(min(8, (n_fft - 2) / 2), n_fft - 2)``."""
    if bounds is None:
        return (min(8.0, 0.5 * (n_fft - 2)), float(n_fft - 2))
    if np.ndim(bounds) != 1 or len(bounds) != 2:
        raise ValueError(f"win_length_bounds must be a pair (lo, hi), got {bounds!r}")
    lo = check_real(bounds[0], "win_length_bounds[0]", low=0.0, low_open=True)
    hi = check_real(bounds[1], "win_length_bounds[1]", low=lo, low_open=True, high=n_fft - 2)
    return lo, hi


def check_normalization(normalization):
    return check_choice(normalization, "normalization", ("l1", "l2", None))


def check_band(band):
    """A frequency band ``(f_min, f_max)`` in Hz, ``0 <= f_min < f_max``, or
    None (every bin); returned as a tuple of floats (or None)."""
    if band is None:
        return None
    if isinstance(band, (str, bytes)) or np.ndim(band) != 1 or len(band) != 2:
        raise ValueError(f"band must be a pair (f_min, f_max) in Hz, got {band!r}")
    f_min = check_real(band[0], "band[0]", low=0.0)
    return f_min, check_real(band[1], "band[1]", low=f_min, low_open=True)


def check_band_bins(band, freqs):
    """The mask of the bin frequencies ``freqs`` (Hz, evenly spaced) inside a
    checked ``band``; a band between two bins is an error."""
    mask = (freqs >= band[0]) & (freqs <= band[1])
    if not mask.any():
        df = freqs[1] - freqs[0] if len(freqs) > 1 else float("nan")
        raise ValueError(f"band {band} holds no frequency bin (bin spacing {df:g} Hz); widen it")
    return mask


def check_target_frequencies(Y, fs, harmonic, band, name="Y"):
    """Warn when true frequencies (Hz) are out of a tracker's reach: the
    ``harmonic``-th multiple of one outside ``[0, fs / 2]`` (no bin shows
    it: usually a wrong ``fs``), or outside ``band`` (the centroid in the
    band cannot reach it). The fit would chase them to a bound of the
    window length. A warning, not an error: any real target is a valid
    regression target (scikit-learn's estimator checks fit arbitrary ones)."""
    top = fs / 2 / harmonic
    if Y.min() < 0 or Y.max() > top:
        warnings.warn(
            f"{name} should hold frequencies in [0, fs / 2 / harmonic] = [0, {top:g}] Hz (the "
            f"harmonic {harmonic} of each within Nyquist fs / 2 = {fs / 2:g} Hz), got values in "
            f"[{Y.min():g}, {Y.max():g}]: no spectrogram bin shows them; check fs",
            UserWarning, stacklevel=3)
    elif band is not None:
        outside = np.mean((harmonic * Y < band[0]) | (harmonic * Y > band[1]))
        if outside > 0:
            warnings.warn(
                f"{100 * outside:.0f} % of the true frequencies in {name} (times harmonic="
                f"{harmonic}) lie outside band={band} Hz, where the estimate cannot reach them; "
                "widen band", UserWarning, stacklevel=3)


def check_win_length(win_length, n_fft, n_frames):
    """Window length(s): real, in ``(0, n_fft - 2]``, broadcastable to ``(F, T)``.

    Returns the plain numpy value (for inspection); the caller keeps the
    original (possibly boxed) object for differentiation.
    """
    n_freqs = n_fft // 2 + 1
    arr = as_real_array(win_length, "win_length", ndims=(0, 1, 2), shape=(
        f"a scalar or broadcastable to (n_freqs, n_frames) = ({n_freqs}, {n_frames})"))
    try:
        np.broadcast_shapes(arr.shape, (n_freqs, n_frames))
    except ValueError:
        raise ValueError(
            f"win_length of shape {arr.shape} does not broadcast to "
            f"(n_freqs, n_frames) = ({n_freqs}, {n_frames}); use a scalar, "
            f"(1, {n_frames}), ({n_freqs}, 1) or ({n_freqs}, {n_frames})"
        ) from None
    if np.any(arr <= 0) or np.any(arr > n_fft - 2):
        raise ValueError(
            f"win_length must lie in (0, n_fft - 2] = (0, {n_fft - 2}] so that the "
            f"window fits in the frame; got values in [{arr.min():g}, {arr.max():g}]"
        )
    return arr


def check_positions(positions, name="positions"):
    """Frame centres: a finite, strictly increasing 1-D array of samples (float64)."""
    arr = as_real_array(positions, name, ndims=(1,), shape="1-D (one centre per frame)")
    if arr.size > 1 and not np.all(np.diff(arr) > 0):
        raise ValueError(f"{name} must be strictly increasing")
    return arr.astype(np.float64, copy=False)


def check_lengths(value, name, *, ndims=(0, 1, 2)):
    """Lengths in samples (window lengths, hops): real, finite, > 0, with a
    number of dimensions in ``ndims``.

    Returns the plain numpy value (the caller keeps the original object, which
    may be an autograd box, for differentiation).
    """
    if ndims == (1,):
        shape = "a 1-D array"
    elif ndims == (0, 1):
        shape = "a scalar or 1-D"
    else:
        shape = f"a scalar or at most {max(ndims)}-D"
    return as_real_array(value, name, ndims=ndims, shape=shape, positive=True)


def check_hop_frames(hops, n_frames, *, min_hop=0.01):
    """The frame count asked for with the (checked) hop(s) ``hops``.

    A time-varying hop (1-D) fixes it at ``len(hops) + 1``; a constant hop
    with ``n_frames`` None derives it from the signal length, which needs
    ``hops >= min_hop`` (``1 + n_samples / hop`` frames must fit in memory).
    Returns ``n_frames`` checked (or None)."""
    if n_frames is None:
        if hops.ndim == 0 and float(hops) < min_hop:
            raise ValueError(
                f"hop_length must be >= {min_hop:g} samples when n_frames is derived from it "
                f"(1 + n_samples / hop frames); got {float(hops):g}")
        return None
    n_frames = check_int(n_frames, "n_frames", min_value=1)
    if hops.ndim == 1 and n_frames != hops.size + 1:
        raise ValueError(f"n_frames must be len(hop_length) + 1 = {hops.size + 1} for a "
                         f"time-varying hop, got {n_frames}")
    return n_frames


def check_lengths_per_frame(shape, n_frames, name="win_lengths"):
    """The shape of window lengths given per frame: a scalar, ``(T,)``,
    ``(1, T)``, ``(F, 1)`` or ``(F, T)`` for ``T = n_frames``."""
    if shape in ((), (1,), (n_frames,), (1, 1), (1, n_frames)) or (
            len(shape) == 2 and shape[1] in (1, n_frames)):
        return
    raise ValueError(
        f"{name} of shape {shape} does not match the {n_frames} positions; "
        f"use a scalar, ({n_frames},), (1, {n_frames}), (F, 1) or (F, {n_frames})")


def check_spectrogram(S, name="S", *, finite=True):
    """A complex (or real) spectrogram ``(F, T)`` or batch ``(B, F, T)``.

    Returns the array to compute with: ``S`` itself when it is an ndarray or
    an autograd box (the caller keeps differentiating through it), else
    ``S`` converted with ``np.asarray`` (lists).

    ``finite=False`` skips the NaN/inf pass over ``S``, for a caller that
    checks its own result instead (a NaN or inf always reaches it); otherwise
    a NaN would be masked by the losses' zero guards and come out finite.
    """
    arr = as_real_array(S, name, ndims=(2, 3), shape="a spectrogram of shape (F, T) or (B, F, T)",
                        expected="a numeric spectrogram array", finite=finite, complex_ok=True)
    return S if isinstance(getval(S), np.ndarray) and getval(S).dtype != object else arr


def check_inverse_spectrogram(S, n_fft, name="S"):
    """A spectrogram to invert: finite, (F, T) or (B, F, T), ``F = n_fft // 2 + 1``.

    Returns what :func:`check_spectrogram` returns (``S`` itself, possibly an
    autograd box, or its conversion to an array).
    """
    S = check_spectrogram(S, name)
    shape = np.shape(getval(S))
    n_freqs = n_fft // 2 + 1
    if shape[-2] != n_freqs:
        raise ValueError(f"{name} must have n_fft // 2 + 1 = {n_freqs} frequency rows (axis -2) "
                         f"for n_fft={n_fft}, got shape {shape}")
    return S


def check_constant(value, name, why):
    """``value`` must not be an autograd box (``why`` says what is differentiable)."""
    if getval(value) is not value:
        raise TypeError(f"{why}; {name} must be a constant here (got an autograd box)")


def check_frame_count(n_positions, n_frames, name="positions", *, default_hop=None):
    """As many frame positions as the spectrogram has frames (columns).

    ``default_hop``: the hop of the default positions, when ``positions``
    was not given (the message then says how they were derived)."""
    if n_positions == n_frames:
        return
    if default_hop is None:
        raise ValueError(f"{name} must hold one centre per frame of S: S has {n_frames} "
                         f"frames (its last axis), {name} has {n_positions}")
    raise ValueError(f"{name} was not given and the default (hop n_fft // 4 = {default_hop} "
                     f"from 0 over n_samples) gives {n_positions} frames, but S has "
                     f"{n_frames}; pass the positions the spectrogram was computed with")


def check_signal_matrix(X, name="X"):
    """First look at an estimator's ``X`` (equal-length signals, one per row).

    Explains the mistakes scikit-learn's ``check_array`` reports obscurely or
    accepts silently -- ragged rows, 1-D or 3-D arrays, strings, booleans,
    complex values -- and leaves every other check (NaN, inf, empty, dtype
    conversion, DataFrames, sparse matrices) to ``validate_data``. It copies
    nothing but object arrays (to see whether their entries are numbers).
    Complex data is a ValueError here (scikit-learn's convention, which its
    estimator checks require), a TypeError everywhere else.
    """
    import scipy.sparse

    if scipy.sparse.issparse(X):
        return  # validate_data explains that dense data is required
    expected = "real-valued signals (n_signals, n_samples)"
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a DataFrame
        kinds = {np.dtype(d).kind for d in X.dtypes if isinstance(d, np.dtype)}
        if "b" in kinds:
            raise TypeError(f"{name} must be {expected}, got boolean columns; "
                            f"convert with {name}.astype(float)")
        return
    arr = _numeric_array(X, name, expected, complex_ok=True)
    if arr.dtype.kind == "c":
        # "Complex data not supported" is scikit-learn's wording (its checks match it)
        raise ValueError(f"Complex data not supported: {name} must be {expected}; "
                         f"pass {name}.real, {name}.imag or abs({name}) explicitly")
    # "2D array" and "Reshape your data" are scikit-learn's words (its checks match them)
    if arr.ndim == 1:
        raise ValueError(
            f"Expected a 2D array {name} (n_signals, n_samples), got a 1-D array of shape "
            f"{arr.shape}. Reshape your data with x.reshape(1, -1) if it is a single signal")
    if arr.ndim != 2:
        raise ValueError(f"Expected a 2D array {name} (n_signals, n_samples), got an array of "
                         f"shape {arr.shape}")
