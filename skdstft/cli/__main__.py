"""``python -m skdstft.cli``: the ``skdstft`` command."""

import sys

from . import main

if __name__ == "__main__":  # pragma: no cover - guards the doctest collection's import
    sys.exit(main())
