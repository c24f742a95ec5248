"""The layout is the rule: every package sits on one layer of the import contract, each job has the
same file name in every domain folder, and no module is imported by a name in a string."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dhr_engine"
DOMAINS = (
    "accounts",
    "agencies",
    "audit",
    "cases",
    "deadlines",
    "family",
    "letters",
    "members",
    "outbox",
    "plans",
    "proceedings",
    "returns",
    "signin",
    "tasks",
)


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in contract["layers"] for name in re.split(r"[|:]", layer)]


def _sources(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "migrations" not in p.parts]


def test_every_top_level_package_is_on_one_layer_of_the_import_contract() -> None:
    names = sorted(
        f"dhr_engine.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    )
    layers = _layers()
    assert sorted(set(layers)) == sorted(layers), "a package is named on two layers"
    assert names == sorted(layers)


def test_the_import_contract_holds() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[dev]')")
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_module_is_imported_by_a_name_in_a_string() -> None:
    pattern = re.compile(r"\bimport_module\b|__import__\(|\bfind_spec\b")
    found = [str(p.relative_to(ROOT)) for p in _sources(PACKAGE) if pattern.search(p.read_text())]
    assert found == []


@pytest.mark.parametrize(
    ("marker", "home"),
    [
        (r"APIRouter\(\s*prefix=API_PREFIX", r"/api(\.py|/\w+\.py)$"),
        (r"APIRouter\(\s*route_class=WebRoute", r"/pages(\.py|/\w+\.py)$"),
        (r"typer\.Typer\(", r"/(cli\.py|console/\w+\.py)$"),
        (r"^def run_\w+\(ctx: AppContext\) -> str:", r"/(scheduled\.py|bootstrap/__init__\.py)$"),
    ],
)
def test_each_job_has_the_same_file_name_in_every_domain(marker: str, home: str) -> None:
    """The JSON API of a domain is its api.py, its web pages pages.py, its commands cli.py and its
    scheduler jobs scheduled.py: nowhere else."""
    pattern = re.compile(marker, re.MULTILINE)
    misplaced = [
        str(p.relative_to(ROOT))
        for p in _sources(PACKAGE)
        if pattern.search(p.read_text()) and not re.search(home, p.as_posix())
    ]
    assert misplaced == []


def test_every_domain_router_pages_and_commands_are_listed_by_the_composition_root() -> None:
    root = "".join(p.read_text() for p in (PACKAGE / "bootstrap").glob("*.py"))
    for domain in DOMAINS:
        folder = PACKAGE / domain
        assert (folder / "__init__.py").exists(), domain
        for part in ("api", "pages", "cli"):
            if (folder / f"{part}.py").exists() or (folder / part).is_dir():
                assert re.search(rf"from dhr_engine\.{domain} import {part} as {domain}_{part}", root), (
                    f"{domain}/{part} is not listed by the composition root (dhr_engine/bootstrap/)"
                )
