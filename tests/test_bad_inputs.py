"""Bad-input matrix: every public entry point, every class of bad input.

Table driven: each row is (id, call, expected exception, regex the message must
match -- the parameter's name and the expected form). Valid edge inputs
(integer signals, signals shorter than one window, lists) must go through and
give finite values. ``tests/test_validation.py`` already covers dstft's basic
bad signals, n_fft, win_length and positions; this matrix adds the rest of
the library around it: frame_positions, every loss, dstft keywords and
autograd tracing, and fit / transform / predict of every estimator.
"""

import functools
import importlib
import warnings

import autograd.numpy as anp
import numpy as np
import pandas as pd
import pytest
from autograd import grad

from skdstft import dstft, frame_positions, losses

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(6)
X1 = RNG.standard_normal(64)
S = dstft(X1, 8.0, n_fft=16)  # (9, 17)
POS = np.array([0.0, 4.0, 8.0])

CASES = []   # pytest.param(call, exception, match, id=...)
VALID = []   # pytest.param(call, id=...): must return finite values


def bad(id_, exc, match, call):
    CASES.append(pytest.param(call, exc, match, id=id_))


def ok(id_, call):
    VALID.append(pytest.param(call, id=id_))


def _with(array, index, value):
    out = np.array(array, dtype=np.result_type(np.asarray(array).dtype, float))
    out[index] = value
    return out


# -- dstft: what test_validation.py does not cover ------------------------------
bad("dstft-window-unknown", ValueError, r"window must be one of .*'hann'",
    lambda: dstft(X1, 8.0, n_fft=16, window="hamming"))
bad("dstft-window-type", TypeError, r"window must be a window name",
    lambda: dstft(X1, 8.0, n_fft=16, window=3))
bad("dstft-normalization-unknown", ValueError, r"normalization must be one of 'l1', 'l2', None",
    lambda: dstft(X1, 8.0, n_fft=16, normalization="max"))
bad("dstft-nan-x-under-autograd", ValueError, r"\bx\b contains NaN",
    lambda: grad(lambda v: anp.sum(anp.abs(dstft(v, 8.0, n_fft=16))))(_with(X1, 3, np.nan)))
bad("dstft-nan-win-under-autograd", ValueError, r"win_length must be finite",
    lambda: grad(lambda v: anp.sum(anp.abs(dstft(X1, v, n_fft=16))))(np.nan))
bad("dstft-positions-nonincreasing-under-autograd", ValueError,
    r"positions must be strictly increasing",
    lambda: grad(lambda p: anp.sum(anp.abs(dstft(X1, 8.0, p, n_fft=16))))(np.array([0., 9., 3.])))
bad("dstft-time-lengths-wrong-T", ValueError, r"win_length of shape \(1, 5\) does not broadcast",
    lambda: dstft(X1, np.full((1, 5), 8.0), n_fft=16))
bad("dstft-win-string-list", TypeError, r"win_length must be real numbers",
    lambda: dstft(X1, ["8"], n_fft=16))
bad("dstft-3d-batch", ValueError, r"x must be 1-D or 2-D",
    lambda: dstft(np.ones((2, 2, 64)), 8.0, n_fft=16))
ok("dstft-float16", lambda: dstft(X1.astype(np.float16), 8.0, n_fft=16))
ok("dstft-int-list", lambda: dstft([1, 2, 3, 4, 5], 8.0, n_fft=16))
ok("dstft-2-samples-long-window", lambda: dstft(np.array([1.0, -1.0]), 510.0, n_fft=512))
ok("dstft-positions-outside", lambda: dstft(X1, 8.0, [-1e9, 0.5, 1e9], n_fft=16))
ok("dstft-series", lambda: dstft(pd.Series(X1), 8.0, n_fft=16))

# -- frame_positions -------------------------------------------------------------
bad("fp-n_samples-zero", ValueError, r"n_samples must be >= 1", lambda: frame_positions(0, 4))
bad("fp-n_samples-float", TypeError, r"n_samples must be an integer",
    lambda: frame_positions(10.5, 4))
bad("fp-n_samples-bool", TypeError, r"n_samples must be an integer",
    lambda: frame_positions(True, 4))
bad("fp-hop-inf", ValueError, r"hop_length must be finite", lambda: frame_positions(10, np.inf))
bad("fp-hop-negative-array", ValueError, r"hop_length must be > 0",
    lambda: frame_positions(10, np.array([2.0, 0.0])))
bad("fp-hop-string", TypeError, r"hop_length must be real numbers",
    lambda: frame_positions(10, "4"))
bad("fp-hop-complex", TypeError, r"hop_length must be real numbers",
    lambda: frame_positions(10, 4 + 1j))
bad("fp-hop-2d", ValueError, r"hop_length must be a scalar or 1-D",
    lambda: frame_positions(10, np.ones((2, 2))))
bad("fp-hop-empty", ValueError, r"hop_length must not be empty", lambda: frame_positions(10, []))
bad("fp-start-nan", ValueError, r"start must be finite",
    lambda: frame_positions(10, 4, start=np.nan))
bad("fp-n_frames-zero", ValueError, r"n_frames must be >= 1",
    lambda: frame_positions(10, 4, n_frames=0))
bad("fp-n_frames-mismatch", ValueError, r"n_frames must be len\(hop_length\) \+ 1",
    lambda: frame_positions(10, [2.0, 3.0], n_frames=5))
ok("fp-int-hop-list", lambda: frame_positions(10, [1, 2, 3]))
ok("fp-fractional-hop", lambda: frame_positions(10, 0.75))

# -- every spectral loss ---------------------------------------------------------
SPECTRAL = {
    "shannon": losses.shannon_entropy,
    "renyi": losses.renyi_entropy,
    "kurtosis": losses.frame_kurtosis,
    "frequency": losses.frequency_estimate,
}
for lname, fn in SPECTRAL.items():
    bad(f"{lname}-S-nan", ValueError, r"S contains NaN or infinite",
        functools.partial(fn, _with(S, (2, 3), np.nan)))
    bad(f"{lname}-S-inf", ValueError, r"S contains NaN or infinite",
        functools.partial(fn, _with(np.abs(S), (0, 0), np.inf)))
    bad(f"{lname}-S-1d", ValueError, r"S must be a spectrogram of shape \(F, T\) or \(B, F, T\)",
        functools.partial(fn, S[:, 0]))
    bad(f"{lname}-S-4d", ValueError, r"S must be a spectrogram of shape \(F, T\) or \(B, F, T\)",
        functools.partial(fn, S[None, None]))
    bad(f"{lname}-S-empty", ValueError, r"S must not be empty", functools.partial(fn, S[:, :0]))
    bad(f"{lname}-S-string", TypeError, r"S must be a numeric spectrogram array, got str",
        functools.partial(fn, "spectrogram"))
    bad(f"{lname}-S-str-array", TypeError, r"S must be a numeric",
        functools.partial(fn, np.full((3, 4), "a")))
    bad(f"{lname}-S-bool", TypeError, r"S must be a numeric",
        functools.partial(fn, np.ones((3, 4), bool)))
    bad(f"{lname}-S-objects", TypeError, r"S must be a numeric spectrogram array, got an object",
        functools.partial(fn, np.array([[object(), 1.0]])))
    bad(f"{lname}-S-ragged", ValueError, r"S must be a rectangular array",
        functools.partial(fn, [[1.0, 2.0], [1.0]]))
    bad(f"{lname}-power-zero", ValueError, r"power must be > 0",
        functools.partial(fn, S, power=0))
    bad(f"{lname}-power-nan", ValueError, r"power must be finite",
        functools.partial(fn, S, power=np.nan))
    bad(f"{lname}-power-string", TypeError, r"power must be a real number",
        functools.partial(fn, S, power="2"))
    ok(f"{lname}-S-list", functools.partial(fn, S.tolist()))
    ok(f"{lname}-S-magnitude-int", functools.partial(fn, np.arange(12).reshape(3, 4)))
    ok(f"{lname}-S-complex64-batch", functools.partial(fn, np.stack([S, S]).astype(np.complex64)))
    ok(f"{lname}-S-all-zero", functools.partial(fn, np.zeros((9, 5), complex)))

bad("shannon-scope-unknown", ValueError, r"scope must be one of 'global', 'frame'",
    lambda: losses.shannon_entropy(S, scope="local"))
bad("renyi-scope-unknown", ValueError, r"scope must be one of 'global', 'frame'",
    lambda: losses.renyi_entropy(S, scope="plane"))
bad("renyi-alpha-one", ValueError, r"alpha must differ from 1",
    lambda: losses.renyi_entropy(S, alpha=1))
bad("renyi-alpha-negative", ValueError, r"alpha must be > 0", lambda: losses.renyi_entropy(S, alpha=-2))
bad("frequency-fs-zero", ValueError, r"fs must be > 0", lambda: losses.frequency_estimate(S, fs=0))
bad("frequency-band-reversed", ValueError, r"band\[1\] must be > 0.3",
    lambda: losses.frequency_estimate(S, band=(0.3, 0.1)))
bad("frequency-band-triple", ValueError, r"band must be a pair \(f_min, f_max\)",
    lambda: losses.frequency_estimate(S, band=(0.1, 0.2, 0.3)))
bad("frequency-band-empty", ValueError, r"band .* holds no frequency bin",
    lambda: losses.frequency_estimate(S, band=(0.01, 0.02)))
bad("frequency-harmonic-zero", ValueError, r"harmonic must be >= 1",
    lambda: losses.frequency_estimate(S, harmonic=0))
bad("frequency-harmonic-fraction", TypeError, r"harmonic must be an integer, got 1.5",
    lambda: losses.frequency_estimate(S, harmonic=1.5))

# -- coverage penalty and smoothness ------------------------------------------------
cov = losses.coverage_penalty
bad("coverage-positions-nan", ValueError, r"positions must be finite",
    lambda: cov(np.array([0.0, np.nan, 8.0]), 8.0, 10))
bad("coverage-positions-nonincreasing", ValueError, r"positions must be strictly increasing",
    lambda: cov(np.array([0.0, 8.0, 4.0]), 8.0, 10))
bad("coverage-positions-2d", ValueError, r"positions must be 1-D", lambda: cov(np.ones((2, 2)), 8.0, 10))
bad("coverage-positions-empty", ValueError, r"positions must not be empty",
    lambda: cov(np.array([]), 8.0, 10))
bad("coverage-positions-string", TypeError, r"positions must be real numbers",
    lambda: cov("abc", 8.0, 10))
bad("coverage-lengths-nan", ValueError, r"win_lengths must be finite", lambda: cov(POS, np.nan, 10))
bad("coverage-lengths-zero", ValueError, r"win_lengths must be > 0", lambda: cov(POS, 0.0, 10))
bad("coverage-lengths-wrong-T", ValueError, r"win_lengths of shape \(5,\) does not match the 3 positions",
    lambda: cov(POS, np.ones(5), 10))
bad("coverage-lengths-3d", ValueError, r"win_lengths must be a scalar or at most 2-D",
    lambda: cov(POS, np.ones((1, 1, 3)), 10))
bad("coverage-n_samples-zero", ValueError, r"n_samples must be > 0", lambda: cov(POS, 8.0, 0))
bad("coverage-min_overlap-one", ValueError, r"min_overlap must be < 1",
    lambda: cov(POS, 8.0, 10, min_overlap=1.0))
ok("coverage-lists", lambda: cov([0, 4, 8], [8, 8, 8], 10))
ok("coverage-freq-varying", lambda: cov(POS, np.full((9, 1), 8.0), 10))
bad("smoothness-nan", ValueError, r"win_lengths must be finite",
    lambda: losses.smoothness(np.array([[1.0, np.nan]])))
bad("smoothness-3d", ValueError, r"win_lengths must be a scalar or at most 2-D",
    lambda: losses.smoothness(np.ones((1, 2, 3))))
bad("smoothness-complex", TypeError, r"win_lengths must be real numbers",
    lambda: losses.smoothness(np.ones((1, 3)) + 1j))
bad("smoothness-string", TypeError, r"win_lengths must be real numbers",
    lambda: losses.smoothness("ab"))
bad("smoothness-negative", ValueError, r"win_lengths must be > 0",
    lambda: losses.smoothness(np.array([[4.0, -1.0]])))
bad("smoothness-scale-zero", ValueError, r"scale must be > 0",
    lambda: losses.smoothness(np.ones((1, 3)), scale=0))
ok("smoothness-list", lambda: losses.smoothness([[1.0, 2.0, 4.0]]))


# -- estimators ---------------------------------------------------------------------
N_SAMPLES, N_SIGNALS, N_FFT = 64, 4, 16


def _load(module, name):
    return getattr(importlib.import_module(f"skdstft.estimators.{module}"), name)


def _tracker_y(X):
    n_frames = 1 + np.shape(X)[1] // 4  # hop_length=4
    return np.full((np.shape(X)[0], n_frames), 0.1)


def _labels(X):
    return np.arange(np.shape(X)[0]) % 2


# name -> (module, class, fast parameters, y from X or None, output method)
ESTIMATORS = {
    "transformer": ("transformer", "DSTFTTransformer",
                    dict(n_fft=N_FFT, max_iter=3, n_bands=4, n_segments=2), None, "transform"),
    "tracker": ("tracker", "FrequencyTracker",
                dict(n_fft=N_FFT, hop_length=4, max_iter=3), _tracker_y, "predict"),
    "adaptive": ("adaptive", "AdaptiveSpectrogram",
                 dict(n_fft=N_FFT, max_iter=3, n_bands=4, n_segments=2), None, "transform"),
    "classifier": ("classifier", "DSTFTClassifier",
                   dict(n_fft=N_FFT, max_iter=3), _labels, "predict"),
}


def _make(key, **params):
    module, name, fast, _, _ = ESTIMATORS[key]
    cls = _load(module, name)
    est = cls()
    known = est.get_params()
    est.set_params(**{k: v for k, v in dict(fast, **params).items() if k in known})
    return est


def _fit(key, X, **params):
    make_y = ESTIMATORS[key][3]
    est = _make(key, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if make_y is None:
            return est.fit(X)
        try:
            y = make_y(X)
        except Exception:  # X too broken to build y from: any y of the right length
            y = make_y(np.zeros((N_SIGNALS, N_SAMPLES)))
        return est.fit(X, y)


@functools.cache
def _fitted(key):
    return _fit(key, RNG.standard_normal((N_SIGNALS, N_SAMPLES)))


def _apply(key, X):
    return getattr(_fitted(key), ESTIMATORS[key][4])(X)


def _has_param(key, param):
    module, name = ESTIMATORS[key][:2]
    return param in _load(module, name)().get_params()


XG = RNG.standard_normal((N_SIGNALS, N_SAMPLES))
# bad X for fit and for transform/predict: (id, X, exception, match)
BAD_X = [
    ("nan", _with(XG, (1, 5), np.nan), ValueError, r"Input X contains NaN"),
    ("inf", _with(XG, (0, 0), np.inf), ValueError, r"Input X contains infinity"),
    ("-inf", _with(XG, (3, 63), -np.inf), ValueError, r"Input X contains infinity"),
    ("no-signals", XG[:0], ValueError, r"Found array with 0 sample\(s\)"),
    ("zero-length", XG[:, :0], ValueError, r"0 feature\(s\)"),
    ("1d", XG[0], ValueError,
     r"Expected a 2D array X \(n_signals, n_samples\), got a 1-D .*reshape\(1, -1\)"),
    ("3d", XG[None], ValueError,
     r"Expected a 2D array X \(n_signals, n_samples\), got an array of shape \(1, 4, 64\)"),
    ("ragged", [list(XG[0]), list(XG[1, :-1]), list(XG[2]), list(XG[3])], ValueError,
     r"X must be a rectangular array \(equal-length rows\), got nested sequences"),
    ("strings", np.full((N_SIGNALS, N_SAMPLES), "a"), TypeError,
     r"X must be real-valued signals \(n_signals, n_samples\), got ndarray with dtype <U1"),
    ("objects", np.array([[object()] * N_SAMPLES] * N_SIGNALS), TypeError,
     r"X must be real-valued signals .*non-numeric.*argument must be a string or a real number"),
    ("bool", XG > 0, TypeError,
     r"X must be real-valued signals \(n_signals, n_samples\), got ndarray with dtype bool"),
    ("complex", XG + 1j, ValueError, r"Complex data not supported: X must be real-valued"),
    ("string", "signals", TypeError, r"X must be real-valued signals \(n_signals, n_samples\), got str"),
]

for key, (*_, method) in ESTIMATORS.items():
    for xid, Xb, exc, match in BAD_X:
        bad(f"{key}-fit-X-{xid}", exc, match,
            functools.partial(_fit, key, Xb))
        if xid == "zero-length":
            continue  # the fitted length check comes first; below
        bad(f"{key}-{method}-X-{xid}", exc, match,
            functools.partial(_apply, key, Xb))
    bad(f"{key}-{method}-other-length", ValueError, r"expecting 64 features",
        functools.partial(_apply, key, XG[:, :40]))
    ok(f"{key}-int-signals",
       lambda key=key, m=method: getattr(_fit(key, (XG * 100).astype(np.int64)), m)(
           (XG * 100).astype(np.int32)))
    ok(f"{key}-2-sample-signals",
       lambda key=key, m=method: getattr(_fit(key, XG[:, :2]), m)(XG[:, :2]))
    ok(f"{key}-1-sample-signals",
       lambda key=key, m=method: getattr(_fit(key, XG[:, :1]), m)(XG[:, :1]))
    ok(f"{key}-dataframe",
       lambda key=key, m=method: getattr(_fit(key, pd.DataFrame(XG)), m)(pd.DataFrame(XG)))
    ok(f"{key}-float32-and-lists",
       lambda key=key, m=method: getattr(_fit(key, XG.astype(np.float32)), m)(XG.tolist()))

    # parameters (validated at fit)
    param_cases = [
        ("n_fft-odd", dict(n_fft=15), ValueError, r"n_fft must be even"),
        ("n_fft-small", dict(n_fft=2), ValueError, r"n_fft must be >= 4"),
        ("n_fft-float", dict(n_fft=16.0), TypeError, r"n_fft must be an integer"),
        ("win_length-zero", dict(win_length=0.0), ValueError, r"win_length must be >"),
        ("win_length-negative", dict(win_length=-4.0), ValueError, r"win_length must be >"),
        ("win_length-too-long", dict(win_length=15.0), ValueError, r"win_length must be <= (n_fft - 2 = )?14"),
        ("win_length-nan", dict(win_length=np.nan), ValueError, r"win_length must be finite"),
        ("hop_length-zero", dict(hop_length=0), ValueError, r"hop_length must be > 0"),
        ("hop_length-negative", dict(hop_length=-2.0), ValueError, r"hop_length must be > 0"),
        ("hop_length-nan", dict(hop_length=np.nan), ValueError, r"hop_length must be finite"),
        ("window-unknown", dict(window="hamming"), ValueError, r"window must be one of"),
        ("normalization-unknown", dict(normalization="max"), ValueError,
         r"normalization must be one of"),
        ("window_mode-unknown", dict(window_mode="sometimes"), ValueError,
         r"window_mode must be one of"),
        ("hop_mode-unknown", dict(hop_mode="jumpy"), ValueError, r"hop_mode must be one of"),
        ("criterion-unknown", dict(criterion="beauty"), ValueError, r"criterion must be one of"),
        ("method-unknown", dict(method="magic"), ValueError, r"method must be one of"),
        ("n_restarts-zero", dict(n_restarts=0), ValueError, r"n_restarts must be >= 1"),
        ("n_restarts-float", dict(n_restarts=2.5), TypeError, r"n_restarts must be an integer"),
        ("max_iter-zero", dict(max_iter=0), ValueError, r"max_iter must be >= 1"),
        ("max_iter-negative", dict(max_iter=-5), ValueError, r"max_iter must be >= 1"),
        ("bounds-nan", dict(win_length_bounds=(np.nan, 10.0)), ValueError,
         r"win_length_bounds\[0\] must be finite"),
        ("bounds-reversed", dict(win_length_bounds=(12.0, 10.0)), ValueError,
         r"win_length_bounds\[1\] must be > 12"),
    ]
    for pid, params, exc, match in param_cases:
        (param,) = [k for k in params if k != "win_length_bounds"] or ["win_length_bounds"]
        if not _has_param(key, param):
            continue  # e.g. the tracker has no criterion, the transformer no method
        bad(f"{key}-fit-{pid}", exc, match, functools.partial(_fit, key, XG, **params))


# -- the tests ----------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,match", CASES)
def test_bad_input_is_explained(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call", VALID)
def test_valid_edge_input_gives_finite_values(call):
    out = call()
    values = np.asarray(out.to_numpy() if hasattr(out, "to_numpy") else out)
    assert values.size > 0
    assert np.all(np.isfinite(values.astype(complex)))


def test_stats_layout_accepts_another_length():
    """The one estimator setting where the transform length may differ from fit."""
    est = _fit("transformer", XG, layout="stats")
    for n in (40, 2, 200):
        Z = est.transform(RNG.standard_normal((3, n)))
        assert Z.shape == (3, est.n_bands_ * 3) and np.all(np.isfinite(Z))
