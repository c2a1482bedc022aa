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
