"""Shared fixtures. Tests build what they need; nothing is downloaded."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Fixtures live in tests/fixtures/<area>.py, one module per area, all loaded here, so that
# adding an area's fixtures never means editing this file.
pytest_plugins = sorted(
    f"fixtures.{p.stem}" for p in (ROOT / "tests" / "fixtures").glob("*.py")
    if p.stem != "__init__"
)


@pytest.fixture
def vagent_cmd() -> list[str]:
    """The CLI as a subprocess command (the installed script's code path, via -m)."""
    return [sys.executable, "-m", "vagent"]


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "tests") + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ANN201
    """One line at the very end (after pytest's own summary): how many tests were skipped and
    why, the most common reason first — a skip is testing less, it should not scroll away."""
    result = yield
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return result
    reasons: dict[str, int] = {}
    for rep in skipped:
        longrepr = rep.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    parts = [f"{n}× {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])]
    terminalreporter.write_line(f"skipped {len(skipped)}: " + "; ".join(parts))
    return result
