"""What ``pip install`` puts in site-packages: one import package, ``tokenledger``, holding every module
of the layer folders at the top of the repository (they reach it through the links in ``tokenledger/``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAYERS = sorted(link.name for link in (REPO / "tokenledger").iterdir() if link.is_symlink())


def test_every_layer_folder_is_linked_into_the_package() -> None:
    folders = {path.parent.name for path in REPO.glob("*/__init__.py")} - {"tests", "tokenledger"}
    assert set(LAYERS) == folders
    assert all((REPO / "tokenledger" / layer).resolve() == REPO / layer for layer in LAYERS)


def test_the_wheel_installs_one_top_level_package_with_every_module(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, links kept: setuptools builds in the tree it is given
    shutil.copytree(REPO, source, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", "*.db*"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("tokenledger-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == {"tokenledger"}
    expected = {f"tokenledger/{path.relative_to(REPO)}" for layer in LAYERS
                for path in (REPO / layer).rglob("*") if path.suffix in (".py", ".html")}
    assert expected - set(names) == set()
    assert "tokenledger/__init__.py" in names
