"""What a user installs: one package, ``vagent``, and nothing generic beside it.

The wheel is built from a copy of the repository (an in-tree build would leave files behind)
and installed with pip into a fresh virtual environment whose only other path is the project
venv's site-packages (for gymnasium, pydantic, ...) — which holds no ``vagent`` folder, so the
``vagent`` that imports is the wheel's. Stand-in packages named like vagent's folders (PyPI has
``envs``, ``agent``, ``actions``, ``policies``, ``benchmarks``) are put beside it; nothing of
vagent's may notice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PTH = "vagent-gymnasium.pth"
STAND_INS = ("envs", "agent", "actions", "policies", "benchmarks", "training", "cli")
#: the repository's folders that are not part of the package
NOT_PACKAGED = {".venv", ".git", ".ci", "tests", "build", "docs", "runs", "dist", ".cache"}

def _deps() -> str:
    """The folders the project's dependencies import from (gymnasium, pydantic, typer, ...)."""
    import gymnasium, numpy, PIL, pydantic, rich, typer  # noqa: E401

    return "\n".join(sorted({str(Path(m.__file__).parent.parent)
                             for m in (gymnasium, numpy, PIL, pydantic, rich, typer)}))


def test_pyproject_lists_every_package_folder() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {"vagent"} | {
        "vagent." + ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.rglob("__init__.py")
        if init.parent != ROOT and init.relative_to(ROOT).parts[0] not in NOT_PACKAGED
        and not any(p.startswith(".") for p in init.relative_to(ROOT).parts)}
    assert listed == found


def _copy_source(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(*NOT_PACKAGED, "*.egg-info", "__pycache__",
                                    ".import_linter_cache", ".pytest_cache", ".hypothesis")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def _venv(path: Path) -> Path:
    """A fresh venv (no pip, no system site-packages) that sees only DEPS besides its own."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True, check=True
                               ).stdout.strip())
    (site / "zz-deps.pth").write_text(_deps() + "\n")
    return python


def _pip(python: Path, *args: str, cwd: Path | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "-q", "--no-deps", "--no-index", "--no-build-isolation", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _run(python: Path, code: str, cwd: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**clean, **env}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _stand_ins(folder: Path) -> Path:
    """Packages named like vagent's folders, as an index's would be: a module attribute or two."""
    for name in STAND_INS:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            f"STAND_IN = True\ndef names():\n    return ['stand-in {name}']\n")
    return folder


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _copy_source(tmp / "src")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--no-build-isolation", "-w", str(tmp / "dist"), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (found,) = (tmp / "dist").glob("vagent-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_only_vagent(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.startswith("vagent-") or not t.endswith(".dist-info")} == {
        "vagent", PTH}
    assert "vagent/envs/registry.py" in names and "vagent/__main__.py" in names
    assert not [n for n in names if n.startswith(("vagent/tests/", "vagent/.venv/"))]
    assert any(n.startswith("vagent/policies/bundled/tiny-qwen2vl/") for n in names)


@pytest.mark.slow
def test_wheel_install_survives_packages_named_like_its_folders(wheel: Path,
                                                                tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    _pip(python, str(wheel))
    site = Path(_run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     tmp_path).strip())
    assert sorted(p.name for p in site.iterdir() if p.name != "__pycache__") == sorted(
        [f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info", "vagent", PTH,
         "zz-deps.pth"])
    # the start-up line stays dormant: nothing is imported until gymnasium is
    assert _run(python, "import sys; print(sorted(m for m in ('vagent', 'gymnasium') "
                        "if m in sys.modules))", tmp_path).strip() == "[]"
    # a fresh interpreter, no import first
    out = _run(python, "import gymnasium; e = gymnasium.make('vagent/NumberLine-v0'); "
                       "print(e.spec.id, type(e.unwrapped).__module__)", tmp_path)
    assert out.split() == ["vagent/NumberLine-v0", "vagent.envs.cards.numberline"]

    # stand-ins installed beside vagent, and others in the working folder (a notebook's)
    _stand_ins(site / "standins")
    for name in STAND_INS:
        shutil.move(str(site / "standins" / name), site / name)
    work = _stand_ins(tmp_path / "notebook")
    listed = subprocess.run([str(python), "-m", "vagent", "envs"], capture_output=True,
                            text=True, cwd=work, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "numberline" in listed.stdout and "stand-in" not in listed.stdout
    where = _run(python, "import vagent.envs, vagent.agent, envs; "
                         "print(vagent.envs.__file__, vagent.agent.Agent.__module__, "
                         "envs.STAND_IN)", work)
    assert where.split() == [str(site / "vagent" / "envs" / "__init__.py"),
                             "vagent.agent.loop", "True"]
    # the stand-ins do not break gymnasium's route either
    out = _run(python, "import gymnasium; print(gymnasium.make('vagent/Buttons-v0').spec.id)",
               work, PYTHONPATH=str(work))
    assert out.strip() == "vagent/Buttons-v0"


@pytest.mark.slow
def test_editable_install_registers_with_gymnasium_too(tmp_path: Path) -> None:
    src = _copy_source(tmp_path / "src")
    python = _venv(tmp_path / "venv")
    _pip(python, "-e", str(src), cwd=tmp_path)
    out = _run(python, "import gymnasium, vagent; e = gymnasium.make('vagent/EZPoints-v0'); "
                       "print(e.spec.id, vagent.__file__)", tmp_path)
    assert out.split() == ["vagent/EZPoints-v0", str(src / "__init__.py")]


def test_a_broken_registry_is_a_warning_not_a_failed_gymnasium_import(monkeypatch) -> None:
    from vagent.envs import plugin

    monkeypatch.setattr(plugin, "REGISTRY", "vagent.envs.no_such_module")
    with pytest.warns(UserWarning, match="not registered with gymnasium"):
        plugin.register()


def test_the_hook_registers_once_gymnasium_has_run(monkeypatch) -> None:
    from vagent.envs import plugin

    calls: list[str] = []

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            calls.append("gymnasium ran")

        def get_source(self, name):
            return "# source"

    monkeypatch.setattr(plugin, "REGISTRY", "vagent.envs.registry")
    monkeypatch.setattr(plugin, "register", lambda: calls.append("registered"))
    wrapped = plugin._RegisteringLoader(Loader())
    wrapped.exec_module(object())
    assert calls == ["gymnasium ran", "registered"]
    assert wrapped.get_source("gymnasium") == "# source"  # the rest is gymnasium's loader's
