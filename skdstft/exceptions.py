"""Warnings that skdstft's estimators emit (in the style of ``sklearn.exceptions``)."""

__all__ = ["BoundWarning"]


class BoundWarning(UserWarning):
    """A learned window length ended at (or within 1 % of) a bound of its range.

    An optimum at a bound usually means that the range is too tight for the
    signal: the message names the bound that was reached and the parameter to
    widen (``n_fft`` or ``win_length_bounds``). The command line translates it
    into its own flags.

    Examples
    --------
    Like any warning, it can be turned into an error (to stop a script) or
    silenced (when a bound is meant to bind):

    >>> import warnings
    >>> from skdstft.exceptions import BoundWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", BoundWarning)
    ...     try:
    ...         warnings.warn("window length at the upper bound 510", BoundWarning)
    ...     except BoundWarning as exc:
    ...         print(f"stopped: {exc}")
    stopped: window length at the upper bound 510
    """
