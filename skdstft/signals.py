"""Synthetic test signals of the DSTFT paper (Leiber et al., Sec. VI and VII-A).

Every generator is plain numpy and deterministic given ``random_state``
(an int seed, a :class:`numpy.random.Generator`, a legacy
:class:`numpy.random.RandomState` or ``None`` for fresh entropy).

Units: unless a function takes a sampling rate ``fs``, time is in samples and
frequency in cycles per sample (``fs = 1``, Nyquist = 0.5). Functions with
``fs`` return frequencies in Hz.

Frame convention (shared with :func:`skdstft.frame_positions`): a target given
"at the frame centres" for a hop ``h`` is sampled at ``t_n = n h`` samples,
``n = 0 .. T - 1`` with ``T = 1 + n_samples // h`` (the centred convention of
librosa's ``center=True``). The last centre may lie at ``t = n_samples``, one
sample past the end; the targets are analytic functions of time and are
evaluated there too.

Functions
---------
three_component
    FM component + close stationary tone + transient (paper Sec. VI-A).
transient_shocks
    Damped oscillations in white noise at a given SNR (paper Sec. VI-B).
multi_harmonic
    Harmonic series following a run-up / plateau / run-down speed profile
    (paper Sec. VI-C).
variable_period_sines
    A dataset of noisy sines with smoothly varying frequency and the true
    frequency per frame (paper Sec. VII-A).
list_examples, get_example
    A registry of named examples (used by the command line).
"""

from numbers import Integral, Real

import numpy as np

from ._validation import check_int, check_real

__all__ = [
    "get_example",
    "list_examples",
    "multi_harmonic",
    "three_component",
    "transient_shocks",
    "variable_period_sines",
]


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def _check_random_state(random_state):
    """Return a :class:`numpy.random.Generator` from a seed-like value."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # draw a seed from the legacy generator: deterministic given its state
        return np.random.default_rng(random_state.randint(0, 2**32 - 1, dtype=np.int64))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, Integral):
        raise TypeError(
            "random_state must be None, an int, a numpy.random.Generator or a "
            f"numpy.random.RandomState, got {random_state!r}"
        )
    if random_state < 0:
        raise ValueError(f"random_state must be a non-negative int, got {random_state}")
    return np.random.default_rng(int(random_state))


def _check_flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _frame_times(n_samples, hop_length):
    """Frame centres ``n * hop`` (samples) for ``T = 1 + n_samples // hop`` frames."""
    n_frames = 1 + int(np.floor(n_samples / float(hop_length)))
    return hop_length * np.arange(n_frames, dtype=np.float64)


def _check_hop(hop_length):
    if isinstance(hop_length, (bool, np.bool_)) or not isinstance(hop_length, (Real, np.integer)):
        raise TypeError(f"hop_length must be a positive number, got {hop_length!r}")
    return check_real(hop_length, "hop_length", low=0, low_open=True)


def _smooth_gate(t, start, stop, rise):
    """A gate equal to ~1 on ``[start, stop]`` with tanh edges of width ``rise``."""
    return 0.5 * (np.tanh((t - start) / rise) - np.tanh((t - stop) / rise))


# --------------------------------------------------------------------------- #
# Sec. VI-A: three components
# --------------------------------------------------------------------------- #
def three_component(n_samples=4096, noise_std=0.01, random_state=0, return_components=False):
    """Three-component test signal of the paper's Sec. VI-A.

    The sum of

    * ``"nonstationary"``: a sinusoidally frequency-modulated tone, unit
      amplitude, instantaneous frequency
      ``f(t) = 0.1 + 0.025 sin(2 pi t / n_samples)`` cycles/sample (one full
      modulation period over the signal: from 0.1 up to 0.125 at ``N/4``,
      back to 0.1 at ``N/2``, down to 0.075 at ``3N/4``);
    * ``"stationary"``: a tone at 0.14 cycles/sample, amplitude 0.8, present
      only on ``[0.08 N, 0.45 N]`` (smooth tanh gate, edges about 50 samples
      wide), i.e. while the FM component rises close to it (within 0.015
      cycles/sample at ``N/4``): separating them needs a long window;
    * ``"transient"``: a short Gaussian-enveloped burst (standard deviation 4
      samples, amplitude 4) at 0.3 cycles/sample centred at ``0.75 N``: it
      needs a short window;
    * ``"noise"``: white Gaussian noise of standard deviation ``noise_std``.

    Time in samples, frequency in cycles/sample (``fs = 1``). The structure is
    fixed; only the noise depends on ``random_state``.

    With the defaults, the Shannon entropy of the magnitude spectrogram
    (``p = |S| / sum |S|``, Hann window, ``n_fft = 1024``, hop 256) as a
    function of a constant window length has a single interior minimum near
    ``lam = 540`` samples (538 on a grid of step 2; 520 without noise):
    shorter windows blur the close tones, longer ones smear the frequency
    modulation and spread the transient over neighbouring frames. Measured
    on each noiseless component alone (same grid): FM about 520, transient
    about 490 (it sits on a frame centre, and leaks into the next frames
    once the window exceeds two hops), gated tone about 870.

    Parameters
    ----------
    n_samples : int, default=4096
        Signal length ``N`` in samples (>= 64). The time layout scales with
        ``N``; the frequencies do not.
    noise_std : float, default=0.01
        Standard deviation of the additive white Gaussian noise (>= 0).
    random_state : None, int, numpy.random.Generator or RandomState, default=0
        Seed of the noise.
    return_components : bool, default=False
        Also return the individual components.

    Returns
    -------
    x : ndarray of shape (n_samples,), float64
        The signal.
    components : dict of str to ndarray of shape (n_samples,)
        Only when ``return_components``: ``"nonstationary"``, ``"stationary"``,
        ``"transient"``, ``"noise"`` (their sum is ``x``) and
        ``"nonstationary_frequency"`` (the FM component's instantaneous
        frequency, cycles/sample).

    Examples
    --------
    >>> x = three_component()
    >>> x.shape, x.dtype
    ((4096,), dtype('float64'))
    >>> x, parts = three_component(1024, return_components=True)
    >>> sorted(parts)[:2]
    ['noise', 'nonstationary']
    >>> bool(np.allclose(x, parts["nonstationary"] + parts["stationary"]
    ...                  + parts["transient"] + parts["noise"]))
    True
    """
    n_samples = check_int(n_samples, "n_samples", min_value=64)
    noise_std = check_real(noise_std, "noise_std", low=0)
    return_components = _check_flag(return_components, "return_components")
    rng = _check_random_state(random_state)

    N = n_samples
    t = np.arange(N, dtype=np.float64)

    f_c, f_dev = 0.1, 0.025
    omega = 2 * np.pi / N
    # phase = 2 pi * integral of f(t) = f_c t + f_dev sin(omega t)
    phase = 2 * np.pi * (f_c * t + f_dev * (1.0 - np.cos(omega * t)) / omega)
    nonstationary = np.cos(phase)
    inst_freq = f_c + f_dev * np.sin(omega * t)

    gate = _smooth_gate(t, 0.08 * N, 0.45 * N, 50.0)
    stationary = 0.8 * gate * np.cos(2 * np.pi * 0.14 * t)

    t_c = 0.75 * N
    transient = 4.0 * np.exp(-0.5 * ((t - t_c) / 4.0) ** 2) * np.cos(2 * np.pi * 0.3 * (t - t_c))

    noise = noise_std * rng.standard_normal(N)
    x = nonstationary + stationary + transient + noise
    if return_components:
        return x, {
            "nonstationary": nonstationary,
            "stationary": stationary,
            "transient": transient,
            "noise": noise,
            "nonstationary_frequency": inst_freq,
        }
    return x


# --------------------------------------------------------------------------- #
# Sec. VI-B: transient shocks
# --------------------------------------------------------------------------- #
def transient_shocks(n_samples=4096, n_shocks=6, snr_db=20.0, random_state=0, return_info=False):
    """Damped oscillations (shocks) in white noise, paper Sec. VI-B.

    Each shock ``j`` is an exponentially damped sine starting at rest,

        ``s_j(t) = a_j exp(-(t - t_j) / tau_j) sin(2 pi f_j (t - t_j))`` for
        ``t >= t_j`` (0 before),

    with its own frequency ``f_j`` (uniform in ``[0.04, 0.4]`` cycles/sample),
    decay time ``tau_j`` (log-uniform between 4 samples and a twelfth of the
    shock's slot) and amplitude ``a_j`` (uniform in ``[0.5, 1]``). The signal
    is cut into ``n_shocks`` equal slots and shock ``j`` starts at a random
    time in the first third of slot ``j``, so the shocks are sorted and
    (practically) do not overlap. White Gaussian noise of standard deviation
    ``sqrt(P_s / 10^(snr_db / 10))`` is added, with ``P_s`` the mean power of
    the noiseless signal over all ``n_samples`` samples (the realized SNR is
    within about 0.1 dB of ``snr_db`` for the default length).

    Time in samples, frequency in cycles/sample (``fs = 1``).

    Parameters
    ----------
    n_samples : int, default=4096
        Signal length in samples; at least ``64 * n_shocks``.
    n_shocks : int, default=6
        Number of shocks (>= 1).
    snr_db : float, default=20.0
        Signal-to-noise ratio in dB; ``numpy.inf`` gives a noiseless signal.
    random_state : None, int, numpy.random.Generator or RandomState, default=0
        Seed of the shock parameters and the noise.
    return_info : bool, default=False
        Also return the shock parameters.

    Returns
    -------
    x : ndarray of shape (n_samples,), float64
        The noisy signal.
    info : dict
        Only when ``return_info``. ``"onsets"`` (samples, float, shape
        ``(n_shocks,)``), ``"frequencies"`` (cycles/sample), ``"decay_times"``
        (``tau_j``, samples), ``"durations"`` (time for the envelope to decay
        by 60 dB, ``tau_j ln 1000``, samples), ``"amplitudes"``,
        ``"noise_std"`` (float), ``"clean"`` (the noiseless signal,
        ``(n_samples,)``) and ``"noise"`` (``(n_samples,)``).

    Examples
    --------
    >>> x, info = transient_shocks(return_info=True)
    >>> x.shape, info["onsets"].shape
    ((4096,), (6,))
    >>> snr = 10 * np.log10(np.mean(info["clean"] ** 2) / np.mean(info["noise"] ** 2))
    >>> bool(abs(snr - 20) < 0.5)
    True
    """
    n_shocks = check_int(n_shocks, "n_shocks", min_value=1)
    n_samples = check_int(n_samples, "n_samples", min_value=64 * n_shocks)
    if isinstance(snr_db, (bool, np.bool_)) or not isinstance(snr_db, (Real, np.integer)):
        raise TypeError(f"snr_db must be a real number, got {snr_db!r}")
    snr_db = float(snr_db)
    if np.isnan(snr_db) or snr_db == -np.inf:
        raise ValueError(f"snr_db must be a number or +inf, got {snr_db}")
    return_info = _check_flag(return_info, "return_info")
    rng = _check_random_state(random_state)

    t = np.arange(n_samples, dtype=np.float64)
    slot = n_samples / n_shocks
    onsets = np.floor(np.arange(n_shocks) * slot + rng.uniform(0, slot / 3, n_shocks))
    freqs = rng.uniform(0.04, 0.4, n_shocks)
    tau_max = max(slot / 12.0, 5.0)
    taus = np.exp(rng.uniform(np.log(4.0), np.log(tau_max), n_shocks))
    amps = rng.uniform(0.5, 1.0, n_shocks)

    clean = np.zeros(n_samples)
    for t0, f, tau, a in zip(onsets, freqs, taus, amps):
        u = t[t >= t0] - t0
        clean[t >= t0] += a * np.exp(-u / tau) * np.sin(2 * np.pi * f * u)

    power = np.mean(clean**2)
    noise_std = 0.0 if np.isinf(snr_db) else float(np.sqrt(power / 10 ** (snr_db / 10)))
    noise = noise_std * rng.standard_normal(n_samples)
    x = clean + noise
    if return_info:
        return x, {
            "onsets": onsets,
            "frequencies": freqs,
            "decay_times": taus,
            "durations": taus * np.log(1000.0),
            "amplitudes": amps,
            "noise_std": noise_std,
            "clean": clean,
            "noise": noise,
        }
    return x


# --------------------------------------------------------------------------- #
# Sec. VII-A: variable-period sines (a dataset)
# --------------------------------------------------------------------------- #
def _check_freq_range(freq_range, fs):
    try:
        lo, hi = (float(v) for v in freq_range)
    except (TypeError, ValueError):
        raise TypeError(
            f"freq_range must be a pair (f_min, f_max) in Hz, got {freq_range!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi < fs / 2):
        raise ValueError(
            f"freq_range must satisfy 0 < f_min < f_max < fs / 2 = {fs / 2:g} Hz, "
            f"got ({lo:g}, {hi:g})"
        )
    return lo, hi


def variable_period_sines(
    n_signals=64,
    n_samples=4096,
    n_fft=512,
    hop_length=128,
    fs=1.0,
    noise_std=0.25,
    freq_range=None,
    random_state=0,
):
    """Noisy sines whose frequency varies smoothly in time (paper Sec. VII-A).

    Signal ``i`` is ``x_i(t) = cos(phi_i + 2 pi int_0^t f_i(s) ds / fs) +
    noise_std * e_i(t)`` with white Gaussian ``e_i``, unit amplitude (so the
    per-sample SNR is ``-10 log10(2 noise_std^2)`` dB, 9 dB by default) and
    an instantaneous frequency (Hz)

        ``f_i(t) = m + r * g_i(t) / max|g_i|``, ``g_i(t) = sum_{j=1}^{3}
        b_j sin(2 pi t / P_j + theta_j)``,

    with ``m, r`` the centre and half-width of ``freq_range`` (scaled by a
    random factor in ``[0.5, 1]`` per signal, so ``f_i`` stays inside
    ``freq_range``), ``b_j`` uniform in ``[0.5, 1]`` and periods ``P_j``
    log-uniform in ``[2 n_fft, max(4 n_fft, n_samples)]`` samples: the
    frequency changes noticeably within a few ``n_fft``, so a long window
    smears the trajectory while a short one is noisy and coarse, and the
    tracking error has an interior optimum in the window length.

    The targets are the true instantaneous frequencies at the frame centres
    ``t_n = n * hop_length`` samples, ``n = 0 .. T - 1``,
    ``T = 1 + n_samples // hop_length`` -- exactly
    ``skdstft.frame_positions(n_samples, hop_length)``.

    Parameters
    ----------
    n_signals : int, default=64
        Number of signals (>= 1).
    n_samples : int, default=4096
        Samples per signal (>= 16).
    n_fft : int, default=512
        FFT size of the intended analysis: sets the time scale of the
        frequency variations (see above) and the default ``freq_range``
        margins. Even, >= 4.
    hop_length : float, default=128
        Hop between frame centres, in samples (> 0).
    fs : float, default=1.0
        Sampling rate in Hz; ``X`` does not depend on it, ``Y`` scales with it.
    noise_std : float, default=0.25
        Standard deviation of the white noise (>= 0). With the defaults, the
        mean squared error of a power-spectrum centroid estimate (paper
        Eq. 34) is smallest near a window length of 240 samples.
    freq_range : (float, float), optional
        ``(f_min, f_max)`` in Hz with ``0 < f_min < f_max < fs / 2``. Default
        ``(0.15 fs, 0.35 fs)``, centred on ``fs / 4`` so that the bias of a
        centroid estimate towards the middle of the band cancels on average.
    random_state : None, int, numpy.random.Generator or RandomState, default=0
        Seed of the trajectories, initial phases and noise.

    Returns
    -------
    X : ndarray of shape (n_signals, n_samples), float64
        The noisy signals.
    Y : ndarray of shape (n_signals, T), float64
        The true instantaneous frequency (Hz) at the frame centres.

    Examples
    --------
    >>> X, Y = variable_period_sines(n_signals=4, n_samples=2048, hop_length=128)
    >>> X.shape, Y.shape
    ((4, 2048), (4, 17))
    >>> bool(Y.min() >= 0.15 and Y.max() <= 0.35)
    True
    """
    n_signals = check_int(n_signals, "n_signals", min_value=1)
    n_samples = check_int(n_samples, "n_samples", min_value=16)
    n_fft = check_int(n_fft, "n_fft", min_value=4)
    if n_fft % 2:
        raise ValueError(f"n_fft must be even, got {n_fft}")
    hop_length = _check_hop(hop_length)
    fs = check_real(fs, "fs", low=0, low_open=True)
    noise_std = check_real(noise_std, "noise_std", low=0)
    if freq_range is None:
        freq_range = (0.15 * fs, 0.35 * fs)
    f_lo, f_hi = _check_freq_range(freq_range, fs)
    rng = _check_random_state(random_state)

    t = np.arange(n_samples, dtype=np.float64)
    t_frames = _frame_times(n_samples, hop_length)
    mid, half = 0.5 * (f_lo + f_hi), 0.5 * (f_hi - f_lo)
    p_lo, p_hi = 2.0 * n_fft, max(4.0 * n_fft, float(n_samples))

    X = np.empty((n_signals, n_samples))
    Y = np.empty((n_signals, t_frames.size))
    for i in range(n_signals):
        b = rng.uniform(0.5, 1.0, 3)
        periods = np.exp(rng.uniform(np.log(p_lo), np.log(p_hi), 3))
        theta = rng.uniform(0, 2 * np.pi, 3)
        w = 2 * np.pi / periods
        g = (b * np.sin(np.outer(t, w) + theta)).sum(axis=1)
        g_frames = (b * np.sin(np.outer(t_frames, w) + theta)).sum(axis=1)
        g_max = max(np.abs(g).max(), np.abs(g_frames).max(), 1e-12)
        scale = half * rng.uniform(0.5, 1.0) / g_max
        # exact integral of f (Hz) over time in samples, divided by fs
        g_int = (b / w * (np.cos(theta) - np.cos(np.outer(t, w) + theta))).sum(axis=1)
        phase = rng.uniform(0, 2 * np.pi) + 2 * np.pi * (mid * t + scale * g_int) / fs
        X[i] = np.cos(phase) + noise_std * rng.standard_normal(n_samples)
        Y[i] = mid + scale * g_frames
    return X, Y


# --------------------------------------------------------------------------- #
# Sec. VI-C: multi-harmonic signal with a speed profile
# --------------------------------------------------------------------------- #
def _profile_shape(name, u):
    """Built-in speed profiles: a fraction in [0, 1] of the speed range, u in [0, 1]."""

    def ramp(v):  # smooth 0 -> 1 on v in [0, 1] (raised cosine), clipped outside
        v = np.clip(v, 0.0, 1.0)
        return 0.5 - 0.5 * np.cos(np.pi * v)

    if name == "run-up-down":  # rest 10 %, up 25 %, plateau 30 %, down 25 %, rest 10 %
        return ramp((u - 0.1) / 0.25) - ramp((u - 0.65) / 0.25)
    if name == "fast-run-up-down":  # rest 30 %, up 5 %, plateau 30 %, down 5 %, rest 30 %
        return ramp((u - 0.3) / 0.05) - ramp((u - 0.65) / 0.05)
    if name == "run-up":  # rest 10 %, up 60 %, plateau 30 %
        return ramp((u - 0.1) / 0.6)
    if name == "run-down":
        return 1.0 - ramp((u - 0.1) / 0.6)
    raise AssertionError(name)


_PROFILES = ("run-up-down", "run-up", "run-down", "fast-run-up-down")


def multi_harmonic(
    n_samples=16384,
    fs=2048.0,
    n_harmonics=16,
    profile="run-up-down",
    f0_range=(20.0, 50.0),
    fluctuation=0.01,
    noise_std=0.5,
    hop_length=128,
    random_state=0,
):
    """A multi-harmonic "engine" signal following a speed profile (paper Sec. VI-C).

    A fundamental frequency ``f0(t)`` (Hz) follows a smooth speed profile
    between ``f0_range[0]`` and ``f0_range[1]``; the signal is

        ``x(t) = sum_{h=1}^{H} a_h cos(h phi(t) + theta_h) + noise``,
        ``phi(t) = 2 pi int_0^t f0``,

    with per-harmonic amplitudes ``a_h`` uniform in ``[0.2, 1]``, random
    phases ``theta_h`` and white Gaussian noise. On top of the profile, a
    small smooth random speed fluctuation (relative standard deviation about
    ``fluctuation``, time scale of about a second) makes the trajectory
    irregular like a measured one. The paper tracks the 10th harmonic; every
    harmonic is kept below Nyquist (checked).

    Parameters
    ----------
    n_samples : int, default=16384
        Signal length in samples (>= 16).
    fs : float, default=2048.0
        Sampling rate in Hz.
    n_harmonics : int, default=16
        Number of harmonics ``H`` (>= 1), including the fundamental.
        ``H * max f0`` must stay below ``fs / 2``.
    profile : {"run-up-down", "fast-run-up-down", "run-up", "run-down"} or callable, \
default="run-up-down"
        ``"run-up-down"``: rest at ``f0_range[0]`` (first 10 % of the time),
        smooth (raised-cosine) run-up over 25 %, plateau at ``f0_range[1]``
        over 30 %, run-down over 25 %, rest. ``"fast-run-up-down"``: long
        stable parts and short ramps (rest 30 %, run-up 5 %, plateau 30 %,
        run-down 5 %, rest 30 %), where a window that is short on the ramps
        and long elsewhere beats any constant one. ``"run-up"`` /
        ``"run-down"``: one smooth ramp over 60 % of the time. A callable maps times in
        seconds (ndarray) to ``f0`` in Hz (ndarray of the same shape, > 0);
        ``f0_range`` is then ignored.
    f0_range : (float, float), default=(20.0, 50.0)
        Lowest and highest fundamental frequency (Hz) of the built-in profiles.
    fluctuation : float, default=0.01
        Relative amplitude of the random speed fluctuation (>= 0; 0 disables it).
    noise_std : float, default=0.5
        Standard deviation of the additive white noise (>= 0).
    hop_length : float, default=128
        Hop (samples) of the frame centres at which ``f0`` is returned.
    random_state : None, int, numpy.random.Generator or RandomState, default=0
        Seed of the amplitudes, phases, fluctuation and noise.

    Returns
    -------
    x : ndarray of shape (n_samples,), float64
        The signal.
    f0 : ndarray of shape (T,), float64
        True fundamental frequency (Hz) at the frame centres
        ``t_n = n * hop_length`` samples (``n * hop_length / fs`` seconds),
        ``T = 1 + n_samples // hop_length``, aligned with
        ``skdstft.frame_positions(n_samples, hop_length)``.

    Examples
    --------
    >>> x, f0 = multi_harmonic(n_samples=8192, hop_length=256)
    >>> x.shape, f0.shape
    ((8192,), (33,))
    >>> bool(19.0 < f0.min() and f0.max() < 51.0)
    True
    """
    n_samples = check_int(n_samples, "n_samples", min_value=16)
    fs = check_real(fs, "fs", low=0, low_open=True)
    n_harmonics = check_int(n_harmonics, "n_harmonics", min_value=1)
    fluctuation = check_real(fluctuation, "fluctuation", low=0)
    noise_std = check_real(noise_std, "noise_std", low=0)
    hop_length = _check_hop(hop_length)
    if not callable(profile):
        if not isinstance(profile, str) or profile not in _PROFILES:
            raise ValueError(
                f"profile must be one of {', '.join(map(repr, _PROFILES))} or a callable "
                f"time (s) -> f0 (Hz), got {profile!r}"
            )
        try:
            f_min, f_max = (float(v) for v in f0_range)
        except (TypeError, ValueError):
            raise TypeError(
                f"f0_range must be a pair (f_min, f_max) in Hz, got {f0_range!r}"
            ) from None
        if not (np.isfinite(f_min) and np.isfinite(f_max) and 0 < f_min <= f_max):
            raise ValueError(
                f"f0_range must satisfy 0 < f_min <= f_max, got ({f_min:g}, {f_max:g})"
            )
    rng = _check_random_state(random_state)

    # Evaluate f0 on the sample grid and on the frame grid (both in samples).
    t = np.arange(n_samples, dtype=np.float64)
    t_frames = _frame_times(n_samples, hop_length)

    # smooth random fluctuation: a few random sinusoids with ~1 s periods
    n_fl = 4
    fl_amp = rng.normal(0.0, 1.0, n_fl) * fluctuation / np.sqrt(n_fl / 2.0)
    fl_per = fs * rng.uniform(0.5, 2.0, n_fl)  # samples
    fl_phase = rng.uniform(0, 2 * np.pi, n_fl)

    def f0_of(samples):
        if callable(profile):
            seconds = samples / fs
            f = np.asarray(profile(seconds), dtype=np.float64)
            if f.shape != seconds.shape:
                raise ValueError(
                    f"profile must return an array of the same shape as its input "
                    f"{seconds.shape}, got {f.shape}"
                )
        else:
            u = samples / max(n_samples - 1, 1)
            f = f_min + (f_max - f_min) * _profile_shape(profile, u)
        wobble = (fl_amp * np.sin(2 * np.pi * np.outer(samples, 1.0 / fl_per) + fl_phase)).sum(
            axis=1
        )
        return f * (1.0 + wobble)

    f0_samples = f0_of(t)
    f0_frames = f0_of(t_frames)
    if not (np.all(np.isfinite(f0_samples)) and np.all(f0_samples > 0)):
        raise ValueError("profile must give finite, positive fundamental frequencies")
    top = n_harmonics * max(f0_samples.max(), f0_frames.max())
    if top >= fs / 2:
        raise ValueError(
            f"n_harmonics={n_harmonics} times the largest fundamental "
            f"{top / n_harmonics:g} Hz = {top:g} Hz exceeds the Nyquist frequency "
            f"fs / 2 = {fs / 2:g} Hz; lower n_harmonics or f0_range, or raise fs"
        )

    # phase: cumulative trapezoid of 2 pi f0 / fs (f0 is smooth, error is tiny)
    phi = np.concatenate(([0.0], np.cumsum(0.5 * (f0_samples[1:] + f0_samples[:-1]))))
    phi *= 2 * np.pi / fs
    amps = rng.uniform(0.2, 1.0, n_harmonics)
    thetas = rng.uniform(0, 2 * np.pi, n_harmonics)
    x = np.zeros(n_samples)
    for h in range(1, n_harmonics + 1):
        x += amps[h - 1] * np.cos(h * phi + thetas[h - 1])
    x += noise_std * rng.standard_normal(n_samples)
    return x, f0_frames


# --------------------------------------------------------------------------- #
# registry of named examples
# --------------------------------------------------------------------------- #
def _ex_three_component(**kw):
    return three_component(**kw), 1.0


def _ex_transient_shocks(**kw):
    return transient_shocks(**kw), 1.0


def _ex_multi_harmonic(**kw):
    fs = kw.get("fs", 2048.0)
    x, _ = multi_harmonic(**kw)
    return x, float(fs)


def _ex_variable_period_sine(**kw):
    kw.setdefault("n_signals", 1)
    fs = kw.get("fs", 1.0)
    X, _ = variable_period_sines(**kw)
    return X[0], float(fs)


_EXAMPLES = {
    "three-component": (
        _ex_three_component,
        "FM tone + close stationary tone + transient, 4096 samples, fs=1 (paper Sec. VI-A)",
    ),
    "transient-shocks": (
        _ex_transient_shocks,
        (
            "6 damped oscillations of various frequencies and durations in noise at 20 dB SNR, "
            "4096 samples, fs=1 (paper Sec. VI-B)"
        ),
    ),
    "multi-harmonic": (
        _ex_multi_harmonic,
        (
            "16 harmonics of a run-up/plateau/run-down fundamental (20-50 Hz) in noise, "
            "16384 samples, fs=2048 Hz (paper Sec. VI-C)"
        ),
    ),
    "variable-period-sine": (
        _ex_variable_period_sine,
        (
            "one noisy sine with a smoothly varying frequency (0.15-0.35 fs), 4096 samples, "
            "fs=1 (paper Sec. VII-A)"
        ),
    ),
}


def list_examples():
    """The built-in example signals.

    Returns
    -------
    examples : dict of str to str
        Example name -> one-line description, in a fixed order. Iterating over
        it gives the names accepted by :func:`get_example`.

    Examples
    --------
    >>> list(list_examples())
    ['three-component', 'transient-shocks', 'multi-harmonic', 'variable-period-sine']
    """
    return {name: desc for name, (_, desc) in _EXAMPLES.items()}


def get_example(name, **kwargs):
    """Generate a named example signal.

    Parameters
    ----------
    name : str
        One of :func:`list_examples`: ``"three-component"``,
        ``"transient-shocks"``, ``"multi-harmonic"``, ``"variable-period-sine"``.
    **kwargs
        Passed on to the generator (:func:`three_component`,
        :func:`transient_shocks`, :func:`multi_harmonic`,
        :func:`variable_period_sines`), e.g. ``random_state`` or ``n_samples``.

    Returns
    -------
    x : ndarray of shape (n_samples,), float64
        The signal.
    fs : float
        Its sampling rate in Hz (1.0 for the signals defined in cycles/sample).
    description : str
        A one-line description.

    Examples
    --------
    >>> x, fs, description = get_example("multi-harmonic")
    >>> x.shape, fs
    ((16384,), 2048.0)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r}")
    if name not in _EXAMPLES:
        raise ValueError(
            f"unknown example name {name!r}; choose one of {', '.join(map(repr, _EXAMPLES))}"
        )
    make, desc = _EXAMPLES[name]
    x, fs = make(**kwargs)
    return x, fs, desc
