"""The README's scikit-learn example runs as printed."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_sklearn_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if "GridSearchCV" in b)
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    score = float(re.search(r"\} ([0-9.]+)", out).group(1))
    assert score >= 0.9  # two well-separated classes
