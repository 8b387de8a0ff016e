"""Loading wav files: one signal, or a folder as an equal-length signal matrix.

One rule for the sample scale, shared by the loaders, the ``skdstft`` command
line and the examples (:func:`pcm_to_float`): **integer PCM is decoded to
floats in** ``[-1, 1)`` with one constant per sample format -- ``int16 /
2**15``, ``int32 / 2**31`` (24-bit files, which scipy reads left-justified
into int32, too), ``int64 / 2**63``, ``(uint8 - 128) / 128`` -- and float
files are kept as they are. The estimators, in contrast, take arrays at face
value: an int16 array passed to ``fit`` or ``transform`` is *not* rescaled
(its features would be shifted by ``log(32768)`` against the same file read
here). Read audio with :func:`load_wav` / :func:`load_wav_folder`, or convert
raw PCM arrays with :func:`pcm_to_float`, and the Python API and the command
line see the same numbers.

The folder loaders return a :class:`sklearn.utils.Bunch` (a dict with
attribute access), like scikit-learn's dataset loaders, with

* ``X``: ndarray ``(n_files, length)``, the signals as floats in ``[-1, 1]``,
* ``y``: ndarray ``(n_files,)`` of labels, or ``None`` without a labeller,
* ``groups``: ndarray ``(n_files,)`` of group names (e.g. speakers), or ``None``,
* ``fs``: int, the common sample rate in Hz,
* ``filenames``: ndarray ``(n_files,)`` of str, the file paths in load order,
* ``lengths``: ndarray ``(n_files,)`` of int, each file's original length
  (samples) before padding or cropping,
* ``n_channels``: ndarray ``(n_files,)`` of int, each file's channel count,
* ``skipped``: list of ``(path, reason)`` of the files left out with
  ``on_error="skip"`` (empty otherwise),

or, with ``return_X_y=True``, the tuple ``(X, y)`` (``(X, y, groups)`` when
``return_groups=True`` too).
"""

import os
import re
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from sklearn.utils import Bunch

from ._validation import check_int

__all__ = ["load_fsdd", "load_wav", "load_wav_folder", "pcm_to_float"]

_FSDD_ENV = "SKDSTFT_FSDD"
_FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)$")


def pcm_to_float(data, dtype=np.float64):
    """Decode wav samples to floats: integer PCM to ``[-1, 1)``, floats as they are.

    The one place of the scale constants (see the module docstring): signed
    integers are divided by ``2**(bits - 1)`` (``int16 / 32768``), unsigned
    8-bit PCM is centred, ``(uint8 - 128) / 128``; float samples are only cast.

    Parameters
    ----------
    data : ndarray of int16, int32, int64, uint8 or float, any shape
        Samples as :func:`scipy.io.wavfile.read` returns them.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating dtype of the result.

    Returns
    -------
    samples : ndarray of ``dtype``, same shape as ``data``
        Integer PCM in ``[-1, 1)``.

    Raises
    ------
    ValueError
        Another sample format (e.g. uint16, bool, complex).

    Examples
    --------
    >>> pcm_to_float(np.array([-32768, 0, 16384], dtype=np.int16)).tolist()
    [-1.0, 0.0, 0.5]
    >>> pcm_to_float(np.array([0, 128, 192], dtype=np.uint8)).tolist()
    [-1.0, 0.0, 0.5]
    """
    data = np.asarray(data)
    kind, size = data.dtype.kind, data.dtype.itemsize
    scalar = np.dtype(dtype).type
    if kind == "f":
        out = data.astype(dtype, copy=False)
    elif kind == "i":
        out = data.astype(dtype) / scalar(2.0 ** (8 * size - 1))
    elif kind == "u" and size == 1:
        out = (data.astype(dtype) - scalar(128.0)) / scalar(128.0)
    else:
        raise ValueError(f"data: unsupported wav sample format {data.dtype}; expected int16, "
                         "int32, int64, uint8 or float samples")
    return np.asarray(out, dtype=dtype)


def _check_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy floating dtype, got {dtype!r}") from None
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def load_wav(path, *, channel=0, dtype=np.float64):
    """Read one wav file as floats (integer PCM scaled to ``[-1, 1)``).

    Parameters
    ----------
    path : str or os.PathLike
        The wav file.
    channel : int, None or "all", default=0
        The channel to keep (a mono file has channel 0 only); ``None``
        averages the channels; ``"all"`` keeps them all.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating dtype of the samples.

    Returns
    -------
    x : ndarray of shape (n_samples,), or (n_samples, n_channels) with ``channel="all"``
        The samples, decoded by :func:`pcm_to_float`.
    fs : int
        Sample rate in Hz.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file cannot be read as wav, has an unsupported sample format, or
        has no channel ``channel`` (the message names the file).

    Examples
    --------
    >>> import os, tempfile
    >>> from scipy.io import wavfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> wavfile.write(path, 8000, np.array([[16384, -8192]] * 3, dtype=np.int16))
    >>> x, fs = load_wav(path, channel=1)
    >>> x.tolist(), fs, load_wav(path, channel="all")[0].shape
    ([-0.25, -0.25, -0.25], 8000, (3, 2))
    >>> os.remove(path)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    if channel is not None and not (isinstance(channel, str) and channel == "all"):
        channel = check_int(channel, "channel", min_value=0)
    dtype = _check_dtype(dtype)
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"path: wav file {str(file)!r} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(file)
    except Exception as exc:
        raise ValueError(f"cannot read wav file {str(file)!r}: {exc}") from exc
    try:
        x = pcm_to_float(data, dtype)
    except ValueError as exc:
        raise ValueError(f"file {str(file)!r}: {exc}") from None
    if x.ndim == 1:  # mono: (n_samples, 1); reshape(-1) cannot size an empty file's channels
        x = x[:, None]
    if isinstance(channel, str):
        return x, int(rate)
    if channel is None:
        return x.mean(axis=1).astype(dtype), int(rate)
    if channel >= x.shape[1]:
        raise ValueError(f"channel={channel} but file {str(file)!r} has {x.shape[1]} "
                         f"channel{'s' if x.shape[1] > 1 else ''}")
    return np.ascontiguousarray(x[:, channel]), int(rate)


def _make_namer(value, name):
    """A callable ``stem -> str/obj`` from a callable or a regex with a group."""
    if value is None:
        return None
    if callable(value) and not isinstance(value, re.Pattern):
        return value
    if isinstance(value, str):
        try:
            value = re.compile(value)
        except re.error as exc:
            raise ValueError(f"{name} is not a valid regular expression: {exc}") from None
    if isinstance(value, re.Pattern):
        if value.groups < 1:
            raise ValueError(
                f"{name} must be a regular expression with a capturing group, got {value.pattern!r}"
            )
        pattern = value

        def namer(stem):
            match = pattern.search(stem)
            if match is None:
                raise ValueError(
                    f"{name} pattern {pattern.pattern!r} does not match the file name {stem!r}"
                )
            return match.group(1)

        return namer
    raise TypeError(
        f"{name} must be None, a callable (file stem -> value) or a regular "
        f"expression with a capturing group, got {value!r}"
    )


def _apply_namer(namer, stems, files, name):
    if namer is None:
        return None
    values = []
    for stem, path in zip(stems, files):
        try:
            values.append(namer(stem))
        except Exception as exc:
            raise ValueError(f"{name} failed on file {path}: {exc}") from exc
    # a typed array when the values are all strings or all real numbers,
    # else an object array (numpy would silently turn [1, "a"] into strings)
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    if all(isinstance(v, (Integral, Real)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return np.array(values)
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def load_wav_folder(
    path,
    *,
    length=None,
    label_from_name=None,
    group_from_name=None,
    pattern=None,
    channel=0,
    dtype=np.float64,
    max_files=None,
    on_error="raise",
    return_X_y=False,
    return_groups=False,
):
    """Load every wav file of a folder into an equal-length signal matrix.

    Files are found with ``Path(path).glob(pattern)`` (``"**/*.wav"`` recurses;
    the default takes the folder's ``.wav`` files whatever the case of the
    extension, ``.WAV`` too), decoded by :func:`load_wav` and loaded in
    sorted order of their path relative to ``path`` (plain string order, so
    ``"a_10"`` comes before ``"a_2"``), which makes the result deterministic.

    Parameters
    ----------
    path : str or os.PathLike
        The folder.
    length : int, optional
        Crop (keep the first ``length`` samples) or zero-pad (at the end)
        every signal to ``length`` samples. ``None`` requires all files to
        have the same length.
    label_from_name : callable or str or re.Pattern, optional
        Label of each file from its name without extension (the stem): a
        callable ``stem -> label`` or a regular expression whose first group
        (``re.search``) is the label, kept as a string. ``None``: no labels.
    group_from_name : callable or str or re.Pattern, optional
        Group of each file (e.g. the speaker, for ``GroupKFold``), same
        conventions as ``label_from_name``. ``None``: no groups.
    pattern : str, optional
        Glob pattern of the files, relative to ``path`` (case-sensitive, as
        ``pathlib.Path.glob``). Default: every file of the folder whose
        extension is ``.wav`` in any case.
    channel : int or None, default=0
        Channel of multi-channel files to keep; ``None`` averages the
        channels. Mono files give their one channel (``n_channels`` in the
        result tells which files had several).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating dtype of ``X``.
    max_files : int, optional
        Load only the first ``max_files`` files (in the sorted order).
    on_error : {"raise", "skip"}, default="raise"
        What an unreadable file (not a wav, an unsupported sample format,
        no channel ``channel``) does: raise, or be left out and listed in
        ``skipped`` with the reason (a :class:`UserWarning` says how many).
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    return_groups : bool, default=False
        With ``return_X_y``, return ``(X, y, groups)``.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X`` (n_files, length) float array in ``[-1, 1]`` (float files are
        not rescaled), ``y`` (n_files,) or None, ``groups`` (n_files,) or
        None, ``fs`` (int, Hz), ``filenames`` (n_files,) str,
        ``lengths`` (n_files,) int original lengths in samples,
        ``n_channels`` (n_files,) int, ``skipped`` list of ``(path, reason)``.
    (X, y) or (X, y, groups) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    NotADirectoryError
        ``path`` is not a folder.
    ValueError
        No file matches ``pattern`` (or, with ``on_error="skip"``, none can
        be read); a file cannot be read as wav (the message names it); the
        files have different sample rates or (with ``length=None``) different
        lengths; ``channel`` is out of range; a
        labeller fails on a file name.

    Examples
    --------
    >>> import os, shutil, tempfile
    >>> from scipy.io import wavfile
    >>> folder = tempfile.mkdtemp()
    >>> for i, digit in enumerate([3, 7]):
    ...     wavfile.write(os.path.join(folder, f"{digit}_a_{i}.wav"), 8000,
    ...                   np.full(100 + 50 * i, 16384, dtype=np.int16))
    >>> data = load_wav_folder(folder, length=120, label_from_name=r"^(\\d)_")
    >>> data.X.shape, data.fs, data.y.tolist(), float(data.X[0, 0]), data.lengths.tolist()
    ((2, 120), 8000, ['3', '7'], 0.5, [100, 150])
    >>> shutil.rmtree(folder)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"path: folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"path: {str(folder)!r} is not a folder")
    if length is not None:
        length = check_int(length, "length", min_value=1)
    if max_files is not None:
        max_files = check_int(max_files, "max_files", min_value=1)
    if channel is not None:
        channel = check_int(channel, "channel", min_value=0)
    if pattern is not None and (not isinstance(pattern, str) or not pattern):
        raise TypeError(f"pattern must be None or a non-empty str, got {pattern!r}")
    dtype = _check_dtype(dtype)
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    for flag, name in ((return_X_y, "return_X_y"), (return_groups, "return_groups")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {flag!r}")
    label_namer = _make_namer(label_from_name, "label_from_name")
    group_namer = _make_namer(group_from_name, "group_from_name")

    if pattern is None:
        # not glob("*.wav"): that misses "A.WAV" on case-sensitive file systems
        found = (p for p in folder.iterdir() if p.suffix.lower() == ".wav")
    else:
        found = folder.glob(pattern)
    files = sorted(
        (p for p in found if p.is_file()),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    shown = "'*.wav' (any case)" if pattern is None else repr(pattern)
    if not files:
        raise ValueError(f"no file matches pattern {shown} in folder {str(folder)!r}")
    if max_files is not None:
        files = files[:max_files]

    signals, rates, n_channels, kept, skipped = [], [], [], [], []
    for file in files:
        try:
            data, rate = load_wav(file, channel="all", dtype=dtype)
            if channel is not None and data.shape[1] > 1 and channel >= data.shape[1]:
                raise ValueError(
                    f"channel={channel} but file {str(file)!r} has {data.shape[1]} channels")
        except ValueError as exc:
            if on_error == "raise":
                raise
            skipped.append((str(file), str(exc)))
            continue
        n_channels.append(data.shape[1])
        if channel is None:
            data = data.mean(axis=1).astype(dtype)
        else:
            data = np.ascontiguousarray(data[:, min(channel, data.shape[1] - 1)])
        signals.append(data)
        rates.append(int(rate))
        kept.append(file)
    if skipped:
        if not kept:
            raise ValueError(f"none of the {len(files)} files matching {shown} in folder "
                             f"{str(folder)!r} can be read; the first: {skipped[0][1]}")
        warnings.warn(f"skipped {len(skipped)} of {len(files)} unreadable files (listed in "
                      f"the result's 'skipped'); the first: {skipped[0][1]}", UserWarning,
                      stacklevel=2)
    files = kept

    unique_rates = sorted(set(rates))
    if len(unique_rates) > 1:
        first = {r: str(files[rates.index(r)]) for r in unique_rates}
        listed = "; ".join(f"{r} Hz (e.g. {f})" for r, f in first.items())
        raise ValueError(f"the wav files have different sample rates: {listed}")

    lengths = np.array([s.size for s in signals], dtype=np.int64)
    if length is None:
        if lengths.min() != lengths.max():
            shortest = files[int(lengths.argmin())]
            longest = files[int(lengths.argmax())]
            raise ValueError(
                f"the wav files have different lengths, from {lengths.min()} samples "
                f"({shortest.name}) to {lengths.max()} samples ({longest.name}); pass "
                f"length= to crop or zero-pad them all to a common length"
            )
        if lengths.max() == 0:
            raise ValueError("the wav files hold no samples; pass length= to zero-pad them")
        length = int(lengths.max())
    X = np.zeros((len(signals), length), dtype=dtype)
    for i, sig in enumerate(signals):
        n = min(sig.size, length)
        X[i, :n] = sig[:n]

    stems = [f.stem for f in files]
    y = _apply_namer(label_namer, stems, files, "label_from_name")
    groups = _apply_namer(group_namer, stems, files, "group_from_name")
    if return_X_y:
        return (X, y, groups) if return_groups else (X, y)
    return Bunch(
        X=X,
        y=y,
        groups=groups,
        fs=unique_rates[0],
        filenames=np.array([str(f) for f in files]),
        lengths=lengths,
        n_channels=np.array(n_channels, dtype=np.int64),
        skipped=skipped,
    )


def load_fsdd(
    path=None,
    length=8000,
    *,
    pattern=None,
    max_files=None,
    dtype=np.float64,
    return_X_y=False,
    return_groups=False,
):
    """Load the Free Spoken Digit Dataset (FSDD, "audio MNIST"), paper Sec. VII-B.

    The folder holds 8 kHz mono files named ``{digit}_{speaker}_{index}.wav``
    (3000 recordings of 6 speakers in the full dataset). The label is the
    digit (int) and the group the speaker's name, so that
    ``GroupKFold(groups=data.groups)`` gives speaker-independent splits.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The ``recordings`` folder. Default: the environment variable
        ``SKDSTFT_FSDD``.
    length : int or None, default=8000
        Crop or zero-pad every recording to this many samples (8000 = 1 s;
        the recordings last 0.14 to 2.3 s). ``None`` requires equal lengths.
    pattern : str, optional
        Glob pattern selecting a subset, e.g. ``"[01]_*.wav"`` (digits 0 and 1)
        or ``"*_jackson_*.wav"``. Default: every ``.wav`` file.
    max_files, dtype, return_X_y, return_groups
        As in :func:`load_wav_folder`.

    Returns
    -------
    data : sklearn.utils.Bunch
        As :func:`load_wav_folder`: ``X`` (n_files, length), ``y`` (n_files,)
        int digits, ``groups`` (n_files,) str speakers, ``fs`` (8000),
        ``filenames``, ``lengths``. Or ``(X, y)`` / ``(X, y, groups)`` with
        ``return_X_y``.

    Raises
    ------
    ValueError
        No ``path`` and ``SKDSTFT_FSDD`` unset, or a file name that does not
        follow the ``{digit}_{speaker}_{index}`` layout (plus the errors of
        :func:`load_wav_folder`).

    Examples
    --------
    >>> import os, shutil, tempfile
    >>> from scipy.io import wavfile
    >>> folder = tempfile.mkdtemp()
    >>> for name in ["0_jackson_0", "0_theo_0", "1_jackson_0"]:
    ...     wavfile.write(os.path.join(folder, name + ".wav"), 8000,
    ...                   np.zeros(4000, dtype=np.int16))
    >>> data = load_fsdd(folder)  # or load_fsdd() with SKDSTFT_FSDD set
    >>> data.X.shape, data.fs, data.y.tolist(), data.groups.tolist()
    ((3, 8000), 8000, [0, 0, 1], ['jackson', 'theo', 'jackson'])
    >>> shutil.rmtree(folder)
    """
    if path is None:
        path = os.environ.get(_FSDD_ENV)
        if not path:
            raise ValueError(
                f"path: no FSDD folder given and the environment variable {_FSDD_ENV} is "
                "not set; pass path= (the dataset's 'recordings' folder) or set "
                f"{_FSDD_ENV}"
            )

    def _match(stem):
        match = _FSDD_NAME.match(stem)
        if match is None:
            raise ValueError(
                f"file name {stem!r} does not follow the FSDD layout "
                "{digit}_{speaker}_{index}"
            )
        return match

    return load_wav_folder(
        path,
        length=length,
        label_from_name=lambda stem: int(_match(stem).group(1)),
        group_from_name=lambda stem: _match(stem).group(2),
        pattern=pattern,
        channel=0,
        dtype=dtype,
        max_files=max_files,
        return_X_y=return_X_y,
        return_groups=return_groups,
    )
