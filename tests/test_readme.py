"""The README's scikit-learn example runs as printed."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_sklearn_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if "GridSearchCV" in b)
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    score = float(re.search(r"\} ([0-9.]+)", out).group(1))
    assert score >= 0.9  # two well-separated classes


def test_readme_inverse_example_runs(capsys):
    import warnings

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if "idstft(" in b)
    scope = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the snippet's short iteration budget
        exec(compile(example, "README.md", "exec"), scope)
    assert float(capsys.readouterr().out) <= 1e-12  # perfect reconstruction as printed
    for name in ("x_masked", "x_adapted"):
        assert scope[name].shape == (2048,) and np.all(np.isfinite(scope[name]))
