"""sphinx-gallery hooks: run the example scripts as their users do.

Every example is a command-line script that writes its figure to ``--out``
and has a ``--quick`` mode. :func:`reset_argv` gives each one an ``--out``
path in a scratch folder (and ``--quick`` when ``SKDSTFT_DOCS_QUICK`` is
set); :func:`written_figure_scraper` then puts that PNG on the example's page.

What an example in ``examples/`` needs, so that the gallery builds with -W:

* a docstring whose first line is the title, underlined (``====``) on the
  second line: the gallery page's heading;
* ``--out PATH`` (the figure) and ``--quick`` (a run of a minute or so)
  options, and no other required argument;
* no reliance on ``__file__``, nor on ``__doc__`` having content (the
  gallery runs the code after the docstring, with ``__doc__ == ""``: use
  ``__doc__.partition("\n")[0]``, not ``__doc__.splitlines()[0]``);
* no ``SystemExit`` (``sys.exit``, ``parser.error``) on a normal run: it
  would stop the documentation build.
"""

import os
import shutil
import tempfile
from pathlib import Path

_OUT = Path(tempfile.gettempdir()) / f"skdstft-docs-figures-{os.getpid()}"


def quick():
    return os.environ.get("SKDSTFT_DOCS_QUICK", "") not in ("", "0")


def figure_path(src_file):
    return _OUT / (Path(src_file).stem + ".png")


def reset_argv(gallery_conf, script_vars):
    """The arguments of one example: ``--out PATH`` and, in quick mode, ``--quick``."""
    out = figure_path(script_vars["src_file"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    return ["--out", str(out), *(["--quick"] if quick() else [])]


def written_figure_scraper(block, block_vars, gallery_conf):
    """Show the PNG the example wrote to its ``--out`` path (if it wrote one)."""
    from sphinx_gallery.scrapers import figure_rst

    out = figure_path(block_vars["src_file"])
    if not out.exists():
        return ""
    image_path = next(block_vars["image_path_iterator"])
    shutil.move(str(out), image_path)
    return figure_rst([image_path], gallery_conf["src_dir"])
