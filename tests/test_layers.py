"""The floors hold: import-linter's contracts (pyproject's ``[tool.importlinter]``) pass, and no
module of the package names a sibling package without the ``vagent.`` prefix."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The package's own folders: installed as vagent.X, so a bare ``import X`` would find whatever
#: else on sys.path is called X (PyPI has packages named envs, agent, actions, policies, ...).
GENERIC = ("agent", "envs", "actions", "policies", "benchmarks", "training", "cli", "perf")
#: "envs.registry" or "policies.bundled:BundledPolicy" written as a string (an entry point)
GENERIC_STRING = re.compile(rf"({'|'.join(GENERIC)})(\.\w+)+(:\w+)?")
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]


def package_modules() -> list[Path]:
    """Every .py file of the installed package: the root's, and down through the folders that
    hold an __init__.py (tests/ and .venv/ hold none)."""
    files: list[Path] = []
    todo = [ROOT]
    while todo:
        folder = todo.pop()
        files += folder.glob("*.py")
        todo += [d for d in folder.iterdir() if d.is_dir() and (d / "__init__.py").exists()]
    return sorted(files)


def generic_imports(source: str) -> list[str]:
    """``module`` names an absolute import or an entry-point string takes from GENERIC."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in GENERIC]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in GENERIC:
                found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if GENERIC_STRING.fullmatch(node.value):
                found.append(node.value)
    return found


def test_the_module_list_is_the_package() -> None:
    files = {str(p.relative_to(ROOT)) for p in package_modules()}
    assert {"__init__.py", "envs/registry.py", "envs/android/sim/phone.py",
            "cli/app.py"} <= files
    assert not any(f.startswith(("tests/", ".venv/", "build/")) for f in files)


def test_no_module_imports_a_sibling_package_by_its_bare_name() -> None:
    offenders = {str(p.relative_to(ROOT)): bad for p in package_modules()
                 if (bad := generic_imports(p.read_text(encoding="utf-8")))}
    assert offenders == {}, "import these as vagent.X (or relatively): " + repr(offenders)


@pytest.mark.parametrize(("source", "found"), [
    ("import envs", ["envs"]),
    ("import envs.cards as c", ["envs.cards"]),
    ("def f():\n    from policies.bundled import X", ["policies.bundled"]),
    ("from vagent.envs import make\nfrom . import base\nimport numpy", []),
    ("REG = 'benchmarks.cards.runner:GAMES'", ["benchmarks.cards.runner:GAMES"]),
    ("REG = 'vagent.envs.buttons:ButtonsEnv'\nx = 'envs'", []),
])
def test_the_bare_name_check_catches_what_it_should(source: str, found: list[str]) -> None:
    assert generic_imports(source) == found


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        import importlinter  # noqa: F401
    except ImportError:
        pytest.fail("import-linter is missing — pip install -e '.[dev]' (or import-linter)")
    return subprocess.run([*LINT, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_import_linter_contracts_are_kept() -> None:
    done = _lint()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


@pytest.mark.slow
def test_import_linter_reports_a_floor_turned_upside_down(tmp_path: Path) -> None:
    # the same linter on the same code with envs declared below actions: actions is imported
    # by envs everywhere, so this contract must break (the checker reads the real imports)
    config = tmp_path / "upside_down.toml"
    config.write_text('[tool.importlinter]\nroot_package = "vagent"\n\n'
                      '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
                      'layers = ["vagent.actions", "vagent.envs"]\n')
    done = _lint("--config", str(config))
    assert done.returncode == 1
    assert "vagent.envs is not allowed to import vagent.actions" in done.stdout
