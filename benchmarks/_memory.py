"""Peak resident memory of a piece of work, for the benchmarks.

The import of numpy/scipy/skdstft has a transient peak higher than what stays
resident, so ``ru_maxrss`` alone would hide a smaller work's peak under it.
On Linux the peak (``VmHWM``) is reset to the current RSS just before the
work by writing 5 to ``/proc/self/clear_refs``, and read back afterwards;
elsewhere the growth of ``ru_maxrss`` is used (a lower bound).
"""

import sys


def _status_bytes(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return float(line.split()[1]) * 1024.0
    raise OSError(field)


def ru_maxrss():
    """Peak RSS so far, in bytes (``resource``: KiB on Linux, bytes on macOS)."""
    import resource

    unit = 1.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def rss_before_work():
    """Current RSS in bytes, with the peak reset to it where the OS allows."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return _status_bytes("VmRSS")
    except OSError:
        return ru_maxrss()


def peak_rss():
    """Peak RSS in bytes since :func:`rss_before_work`."""
    try:
        return _status_bytes("VmHWM")
    except OSError:
        return ru_maxrss()
