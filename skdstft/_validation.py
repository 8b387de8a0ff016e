"""Every input check of skdstft in one place.

Each checker takes the value and the parameter's public name, and raises
``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong
value) with a message that names the parameter and what was expected.
Checkers see through autograd boxes: they inspect the wrapped value and
never unbox the argument that the caller goes on to differentiate.
"""

import math
from numbers import Integral, Real

import numpy as np
from autograd.tracer import getval

__all__ = [
    "check_signal",
    "check_n_fft",
    "check_win_length",
    "check_positions",
    "check_hop_length",
    "check_normalization",
    "check_int",
    "check_real",
    "check_choice",
    "check_spectrogram",
    "check_signal_matrix",
    "check_lengths",
    "check_inverse_spectrogram",
    "check_frame_count",
    "check_win_length_bounds",
]


def _describe(value):
    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is None:
        return f"str {value!r}"
    return f"{type(value).__name__} with dtype {arr.dtype} and shape {arr.shape}"


def check_signal(x, name="x", *, ndims=(1, 2)):
    """Validate a real signal or batch of signals; return it as a float array.

    Real inputs are accepted: floats, and integers (converted to float64, not
    rescaled). float32 stays float32, every other real type becomes float64;
    booleans are rejected.

    Raises
    ------
    TypeError
        complex, boolean, string or object input.
    ValueError
        wrong number of dimensions, zero samples, NaN or infinite values.
    """
    val = getval(x)
    if isinstance(val, (str, bytes)):
        raise TypeError(f"{name} must be a real numeric array, got {_describe(val)}")
    try:
        arr = np.asarray(val)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(
            f"{name} must be a rectangular real array (equal-length signals); "
            f"could not convert it: {exc}"
        ) from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a real numeric array, got an object array "
                "(ragged lists or non-numeric entries)"
            ) from None
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a real numeric array, got a boolean array")
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{name} must be real-valued, got a complex array; pass x.real, "
            "x.imag or abs(x) explicitly"
        )
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real numeric array, got {_describe(val)}")
    if arr.ndim not in ndims:
        expected = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {expected}, got an array of shape {arr.shape}")
    if arr.size == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {arr.shape}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if isinstance(x, np.ndarray) or x is val:
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


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """A finite real scalar within optional bounds (open or closed)."""
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
    return value


def check_choice(value, name, choices):
    """One of a fixed set of strings (or None when None is in ``choices``)."""
    if value not in choices or (value is not None and not isinstance(value, str)):
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_n_fft(n_fft):
    """FFT size: an even integer >= 4."""
    n_fft = check_int(n_fft, "n_fft", min_value=4)
    if n_fft % 2:
        raise ValueError(f"n_fft must be even, got {n_fft}")
    return n_fft


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


def _real_array(value, name):
    val = getval(value)
    if isinstance(val, (str, bytes)):
        raise TypeError(f"{name} must be real numbers, got {val!r}")
    try:
        arr = np.asarray(val)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular array: {exc}") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be real numbers, got an object array") from None
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers, got {_describe(val)}")
    return arr


def check_win_length(win_length, n_fft, n_frames):
    """Window length(s): real, in ``(0, n_fft - 2]``, broadcastable to ``(F, T)``.

    Returns the plain numpy value (for inspection); the caller keeps the
    original (possibly boxed) object for differentiation.
    """
    arr = _real_array(win_length, "win_length")
    n_freqs = n_fft // 2 + 1
    if arr.ndim > 2:
        raise ValueError(
            f"win_length must be a scalar or broadcastable to (n_freqs, n_frames) = "
            f"({n_freqs}, {n_frames}), got shape {arr.shape}"
        )
    try:
        np.broadcast_shapes(arr.shape, (n_freqs, n_frames))
    except ValueError:
        raise ValueError(
            f"win_length of shape {arr.shape} does not broadcast to "
            f"(n_freqs, n_frames) = ({n_freqs}, {n_frames}); use a scalar, "
            f"(1, {n_frames}), ({n_freqs}, 1) or ({n_freqs}, {n_frames})"
        ) from None
    if arr.size == 0:
        raise ValueError("win_length must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError("win_length must be finite (no NaN or inf)")
    if np.any(arr <= 0) or np.any(arr > n_fft - 2):
        raise ValueError(
            f"win_length must lie in (0, n_fft - 2] = (0, {n_fft - 2}] so that the "
            f"window fits in the frame; got values in [{arr.min():g}, {arr.max():g}]"
        )
    return arr


def check_positions(positions, name="positions"):
    """Frame centres: a finite, strictly increasing 1-D array of samples."""
    arr = _real_array(positions, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one centre per frame), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one frame")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if arr.size > 1 and not np.all(np.diff(arr) > 0):
        raise ValueError(f"{name} must be strictly increasing")
    return arr.astype(np.float64, copy=False)


def check_hop_length(hop_length, name="hop_length"):
    """A hop: a positive finite scalar or a 1-D array of positive finite hops."""
    arr = _real_array(hop_length, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or 1-D, got shape {arr.shape}")
    if arr.ndim == 1 and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got min {arr.min():g}")
    return arr


def check_spectrogram(S, name="S", *, finite=True):
    """A complex (or real) spectrogram ``(F, T)`` or batch ``(B, F, T)``.

    Returns the array to compute with: ``S`` itself when it is an ndarray or
    an autograd box (the caller keeps differentiating through it), else
    ``S`` converted with ``np.asarray`` (lists).

    Raises
    ------
    TypeError
        strings, boolean or non-numeric object arrays.
    ValueError
        not 2-D or 3-D, empty, NaN or infinite values (a NaN would otherwise
        be masked by the losses' zero guards and come out as a finite value).
        ``finite=False`` skips that last pass over ``S``, for a caller that
        checks its own result instead (a NaN or inf always reaches it).
    """
    val = getval(S)
    if isinstance(val, (str, bytes)):
        raise TypeError(f"{name} must be a complex spectrogram array (F, T) or (B, F, T), "
                        f"got {_describe(val)}")
    converted = not isinstance(val, np.ndarray)
    try:
        arr = np.asarray(val)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular array (F, T) or (B, F, T): {exc}") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.complex128)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a numeric spectrogram array, got an object array "
                            "with non-numeric entries") from None
        converted = True
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iufc":
        raise TypeError(f"{name} must be a numeric (complex) spectrogram array, got "
                        f"{_describe(val)}")
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must be a spectrogram of shape (F, T) or (B, F, T), got "
                         f"{type(val).__name__} of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr if converted else S


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


def check_lengths(value, name="win_lengths", *, max_ndim=2):
    """Window lengths given to a penalty: real, finite, > 0, at most ``max_ndim``-D.

    Returns the plain numpy value (the caller keeps the original object, which
    may be an autograd box, for differentiation).
    """
    arr = _real_array(value, name)
    if arr.ndim > max_ndim:
        raise ValueError(f"{name} must be a scalar or at most {max_ndim}-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got min {arr.min():g}")
    return arr


def check_signal_matrix(X, name="X"):
    """First look at an estimator's ``X`` (equal-length signals, one per row).

    Explains the mistakes scikit-learn's ``check_array`` reports obscurely or
    accepts silently -- ragged rows, 1-D or 3-D arrays, strings, booleans,
    complex values -- and leaves every other check (NaN, inf, empty, dtype
    conversion, DataFrames, sparse matrices) to ``validate_data``. It copies
    nothing but object arrays (to see whether their entries are numbers).
    """
    import scipy.sparse

    if scipy.sparse.issparse(X):
        return  # validate_data explains that dense data is required
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D array (n_signals, n_samples) of real numbers, "
                        f"got {_describe(X)}")
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a DataFrame
        kinds = {np.dtype(d).kind for d in X.dtypes if isinstance(d, np.dtype)}
        if "b" in kinds:
            raise TypeError(f"{name} must hold real-valued signals, got boolean columns; "
                            f"convert with {name}.astype(float)")
        return
    if isinstance(X, np.ndarray):
        arr = X
    else:
        try:
            arr = np.asarray(X)
        except ValueError:
            raise ValueError(
                f"{name} must be a rectangular 2-D array (n_signals, n_samples) of "
                "equal-length signals; got rows of different lengths") from None
    if arr.dtype == object and arr.ndim == 1 and any(np.ndim(row) for row in arr):
        raise ValueError(f"{name} must be a rectangular 2-D array (n_signals, n_samples) of "
                         "equal-length signals; got rows of different lengths")
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            # keeps numpy's "argument must be a string or a real number" (scikit-learn's
            # check_dtype_object matches it)
            raise TypeError(f"{name} must hold real numbers (n_signals, n_samples): {exc}") \
                from None
    if arr.dtype.kind in "USV":
        raise TypeError(f"{name} must hold real-valued signals (numbers), got an array of "
                        f"dtype {arr.dtype}")
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold real-valued signals, got a boolean array; "
                        f"convert with {name}.astype(float)")
    if arr.dtype.kind == "c":
        # "Complex data not supported" is scikit-learn's wording (its checks match it)
        raise ValueError(f"Complex data not supported: {name} must hold real-valued "
                         f"signals; pass {name}.real, {name}.imag or abs({name}) explicitly")
    # "2D array" and "Reshape your data" are scikit-learn's words (its checks match them)
    if arr.ndim == 1:
        raise ValueError(
            f"Expected a 2D array {name} (n_signals, n_samples), got a 1-D array of shape "
            f"{arr.shape}. Reshape your data with x.reshape(1, -1) if it is a single signal")
    if arr.ndim != 2:
        raise ValueError(f"Expected a 2D array {name} (n_signals, n_samples), got an array of "
                         f"shape {arr.shape}")
