"""Spectrogram -> tabular features, and the names of the columns.

Written with ``autograd.numpy`` so that a classifier head can be trained
through the features and the DSTFT jointly.

Three layouts of a (batch of) spectrogram(s) ``(B, F, T)``:

* ``"flat"``: every bin of every frame, ``F * T`` columns named
  ``bin012_frame034`` (needs the same signal length at fit and transform);
* ``"pooled"``: averaged over ``n_bands`` contiguous frequency bands and
  ``n_segments`` contiguous time segments, ``band07_seg03`` (same length too);
* ``"stats"``: averaged over bands, then statistics over time per band,
  ``band07__std``: independent of the signal length.

Value kinds: ``"log"`` (``log(|S| + eps)``, default), ``"magnitude"``,
``"power"`` (``|S|**2``) and ``"db"`` (``20 log10(|S| + eps)``).
"""

import autograd.numpy as anp
import numpy as np

from ._validation import check_choice, check_int

__all__ = ["KINDS", "LAYOUTS", "STATS", "spectrogram_values", "pooling_matrix",
           "extract_features", "feature_names", "n_features"]

KINDS = ("log", "magnitude", "power", "db")
LAYOUTS = ("flat", "pooled", "stats")
STATS = ("mean", "std", "min", "max")
LOG_EPS = 1e-10


def spectrogram_values(S, kind="log", eps=LOG_EPS):
    """Real values of a complex spectrogram: see the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[3 + 4j, 0.5j]])
    >>> spectrogram_values(S, "magnitude"), spectrogram_values(S, "power")
    (array([[5. , 0.5]]), array([[25.  ,  0.25]]))
    >>> np.round(spectrogram_values(S, "db"), 3)
    array([[13.979, -6.021]])
    """
    kind = check_choice(kind, "feature_kind", KINDS)
    mag = anp.abs(S)
    if kind == "magnitude":
        return mag
    if kind == "power":
        return mag * mag
    if kind == "log":
        return anp.log(mag + eps)
    return (20.0 / np.log(10.0)) * anp.log(mag + eps)


def pooling_matrix(n_in, n_out):
    """(n_out, n_in) matrix averaging contiguous, nearly equal blocks
    (``numpy.array_split`` boundaries).

    Examples
    --------
    >>> pooling_matrix(5, 2)
    array([[0.33333333, 0.33333333, 0.33333333, 0.        , 0.        ],
           [0.        , 0.        , 0.        , 0.5       , 0.5       ]])
    """
    if n_out > n_in:
        raise ValueError(f"cannot pool {n_in} values into {n_out} groups; use at most {n_in}")
    mat = np.zeros((n_out, n_in))
    for i, block in enumerate(np.array_split(np.arange(n_in), n_out)):
        mat[i, block] = 1.0 / block.size
    return mat


def _check_layout(layout, n_bands, n_segments, stats):
    layout = check_choice(layout, "layout", LAYOUTS)
    if layout != "flat":
        check_int(n_bands, "n_bands", min_value=1)
    if layout == "pooled":
        check_int(n_segments, "n_segments", min_value=1)
    if layout == "stats":
        if isinstance(stats, str) or not stats:
            raise ValueError(f"stats must be a non-empty sequence of {STATS}, got {stats!r}")
        for s in stats:
            check_choice(s, "stats", STATS)
    return layout


def extract_features(S, *, kind="log", layout="pooled", n_bands=32, n_segments=16,
                     stats=("mean", "std", "max")):
    """Features of spectrograms.

    Parameters
    ----------
    S : complex array (F, T) or (B, F, T)
    kind : {"log", "magnitude", "power", "db"}
    layout : {"flat", "pooled", "stats"}
    n_bands, n_segments : int
        Pooling grid (``n_bands <= F``, ``n_segments <= T``).
    stats : sequence of {"mean", "std", "min", "max"}
        Statistics over time per band (layout ``"stats"``).

    Returns
    -------
    features : array (B, n_features), or (n_features,) for a single (F, T)

    Examples
    --------
    >>> import numpy as np
    >>> S = np.ones((5, 4), complex)
    >>> extract_features(S, kind="magnitude", n_bands=2, n_segments=2)
    array([1., 1., 1., 1.])
    """
    layout = _check_layout(layout, n_bands, n_segments, stats)
    single = anp.ndim(S) == 2
    V = spectrogram_values(S, kind)
    if single:
        V = V[None]
    n_batch, n_freqs, n_frames = anp.shape(V)
    if layout == "flat":
        out = anp.reshape(V, (n_batch, n_freqs * n_frames))
    else:
        pf = pooling_matrix(n_freqs, n_bands)
        banded = anp.einsum("qf,bft->bqt", pf, V)  # (B, bands, T)
        if layout == "pooled":
            pt = pooling_matrix(n_frames, n_segments)
            out = anp.reshape(anp.einsum("bqt,st->bqs", banded, pt), (n_batch, -1))
        else:
            cols = []
            for s in stats:
                if s == "mean":
                    cols.append(anp.mean(banded, axis=-1))
                elif s == "std":
                    cols.append(anp.std(banded, axis=-1))
                elif s == "min":
                    cols.append(anp.min(banded, axis=-1))
                else:
                    cols.append(anp.max(banded, axis=-1))
            # band-major order: band00__mean, band00__std, band01__mean, ...
            out = anp.reshape(anp.stack(cols, axis=-1), (n_batch, -1))
    return out[0] if single else out


def feature_names(n_freqs, n_frames, *, layout="pooled", n_bands=32, n_segments=16,
                  stats=("mean", "std", "max")):
    """Column names matching :func:`extract_features`, as an object ndarray.

    Examples
    --------
    >>> feature_names(257, 33, n_bands=2, n_segments=3).tolist()
    ['band00_seg00', 'band00_seg01', 'band00_seg02', 'band01_seg00', 'band01_seg01', 'band01_seg02']
    >>> feature_names(257, 33, layout="stats", n_bands=1).tolist()
    ['band00__mean', 'band00__std', 'band00__max']
    """
    layout = _check_layout(layout, n_bands, n_segments, stats)
    if layout == "flat":
        wf, wt = len(str(n_freqs - 1)), len(str(n_frames - 1))
        names = [f"bin{k:0{max(wf, 3)}d}_frame{n:0{max(wt, 3)}d}"
                 for k in range(n_freqs) for n in range(n_frames)]
    elif layout == "pooled":
        wb, ws = max(2, len(str(n_bands - 1))), max(2, len(str(n_segments - 1)))
        names = [f"band{b:0{wb}d}_seg{s:0{ws}d}"
                 for b in range(n_bands) for s in range(n_segments)]
    else:
        wb = max(2, len(str(n_bands - 1)))
        names = [f"band{b:0{wb}d}__{s}" for b in range(n_bands) for s in stats]
    return np.asarray(names, dtype=object)


def n_features(n_freqs, n_frames, *, layout="pooled", n_bands=32, n_segments=16,
               stats=("mean", "std", "max")):
    """Number of columns of :func:`extract_features` (without building the names).

    Examples
    --------
    >>> n_features(257, 33), n_features(257, 33, layout="flat")
    (512, 8481)
    """
    layout = _check_layout(layout, n_bands, n_segments, stats)
    if layout == "flat":
        return n_freqs * n_frames
    if layout == "pooled":
        return n_bands * n_segments
    return n_bands * len(stats)
