"""Sphinx configuration of the skdstft documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(from the repository root, after ``pip install -e ".[docs]"``). With
``SKDSTFT_DOCS_QUICK=1`` every gallery example runs in its ``--quick`` mode,
so that the whole build takes a few minutes on 2 cores.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the gallery helpers (_gallery.py) are referred to by qualified name, so that
# the configuration stays picklable
sys.path.insert(0, str(HERE))

import skdstft  # noqa: E402

project = "skdstft"
author = "skdstft developers"
copyright = "skdstft developers, BSD-3-Clause"
version = release = skdstft.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb", "**.py.md5"]
templates_path = ["_templates"]

# -- API reference -----------------------------------------------------------
# A broken cross-reference in a docstring is an error (with -W). Names of
# other libraries are not checked: CI has no network for intersphinx.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|scipy|sklearn|joblib|matplotlib|pandas|dask|autograd|numba)(\..*)?"),
]
nitpick_ignore = [
    # inherited from the estimators' base class, documented there
    ("py:obj", "restarts_"),
    ("py:meth", "get_feature_names_out"),
    # the methods every display has (plotting's module docstring)
    ("py:meth", "plot"), ("py:meth", "from_result"), ("py:meth", "from_estimator"),
    # private helpers named in docstrings for maintainers
    ("py:func", "_cosine_frame_windows"),
]
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Markdown pages (math.md, api.md, architecture.md are used as they are) --
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]

# -- Gallery -----------------------------------------------------------------
QUICK = os.environ.get("SKDSTFT_DOCS_QUICK", "") not in ("", "0")
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # every script is an example to run, not only plot_*.py
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"__init__\.py",
    # the examples are command-line scripts: they get --out (and --quick)
    # here and the scraper shows the figure each one writes
    "reset_argv": "_gallery.reset_argv",
    "image_scrapers": ("_gallery.written_figure_scraper",),
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skdstft",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdstft {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "install": []}


def _resolve_by_suffix(app, env, node, contnode):
    """Resolve ``:class:`AdaptationResult``` written inside a module whose
    objects are documented under their public path (``skdstft.X``) when
    exactly one documented skdstft object has that name."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    if "." in target:
        return None
    domain = env.get_domain("py")
    matches = [name for name in domain.objects
               if name.startswith("skdstft.") and name.rsplit(".", 1)[-1] == target]
    if len(matches) != 1:
        return None
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], matches[0],
                               node, contnode)


def setup(app):
    app.connect("missing-reference", _resolve_by_suffix)
