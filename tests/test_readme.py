"""The README's scikit-learn example runs as printed."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from skdstft.exceptions import BoundWarning

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_sklearn_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if "GridSearchCV" in b)
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    score = float(re.search(r"\} ([0-9.]+)", out).group(1))
    assert score >= 0.9  # two well-separated classes


def test_readme_inverse_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if "idstft(" in b)
    scope = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the snippet's short iteration budget
        exec(compile(example, "README.md", "exec"), scope)
    assert float(capsys.readouterr().out) <= 1e-12  # perfect reconstruction as printed
    for name in ("x_masked", "x_adapted"):
        assert scope[name].shape == (2048,) and np.all(np.isfinite(scope[name]))


@pytest.mark.slow
def test_readme_adaptive_grid_search_runs(capsys):
    """The second example: a grid over reg (with its "auto" default) and the
    window mode, on the first example's data."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    namespace = {}
    exec(compile(next(b for b in blocks if "GridSearchCV" in b), "README.md", "exec"), namespace)
    capsys.readouterr()
    adaptive = next(b for b in blocks if "AdaptiveSpectrogram" in b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundWarning)  # as the README says
        exec(compile(adaptive, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert namespace["search"].best_params_["stft__reg"] in ("auto", 0.0)
    assert float(re.search(r"\} ([0-9.]+)", out).group(1)) >= 0.8
