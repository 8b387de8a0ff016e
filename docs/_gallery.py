"""sphinx-gallery hooks: run the example scripts as their users do.

Every example is a command-line script that writes its figure to ``--out``
and has a ``--quick`` mode. :func:`reset_argv` gives each one an ``--out``
path in a scratch folder (and ``--quick`` when ``SKDSTFT_DOCS_QUICK`` is
set); :func:`written_figure_scraper` then puts that PNG on the example's page.
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
