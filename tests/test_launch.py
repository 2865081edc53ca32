"""Binder and Colab: the launch links and the Colab install cell point at one address."""

from __future__ import annotations

import json
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_installs_the_course_on_colab_only():
    cells = []
    for path in NOTEBOOKS:
        code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        source = "".join(code[0]["source"])
        assert 'if "google.colab" in sys.modules:' in source, path.name
        assert f"git+{REPOSITORY}" in source, path.name
        assert not code[0].get("outputs"), f"{path.name}: the Colab cell prints nothing off Colab"
        cells.append(source)
    assert len(set(cells)) == 1, "every notebook has the same Colab cell"


def test_the_colab_cell_is_skipped_outside_colab():
    from IPython.core.inputtransformer2 import TransformerManager

    source = "".join(
        next(c for c in json.loads(NOTEBOOKS[0].read_text())["cells"] if c["cell_type"] == "code")[
            "source"
        ]
    )
    assert "!pip" in source
    python = TransformerManager().transform_cell(source)  # as IPython runs it

    def get_ipython():
        raise AssertionError("a shell command of the Colab cell ran outside Colab")

    exec(compile(python, "colab-cell", "exec"), {"get_ipython": get_ipython})


def test_readme_launch_links_use_the_repository_and_the_notebooks_tag():
    """README.md and README.ko.md open the notebooks at the tag their badges and install
    cells name (tools/notebook_links.py writes them all); Binder has its environment."""
    tag = "v" + tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    slug = REPOSITORY.removeprefix("https://github.com/")
    for name in ("README.md", "README.ko.md"):
        readme = (ROOT / name).read_text()
        assert f"mybinder.org/v2/gh/{slug}/{tag}?urlpath=" in readme, name
        assert f"colab.research.google.com/github/{slug}/blob/{tag}/notebooks/00_setup" in readme
        assert "/HEAD?" not in readme and "/blob/main/" not in readme, name
    for path in NOTEBOOKS:
        assert f"/blob/{tag}/notebooks/{path.name})" in path.read_text(), path.name
    env = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*- -e \.\[lab\]\s*$", env, re.M), "Binder installs .[lab]"
