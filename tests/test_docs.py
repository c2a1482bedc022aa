"""The README and docs/ say what is true: their cheap commands run as written (and print what
the page shows, where it shows it), their links lead somewhere, and the README stays short.

A command is a line of a ```bash block that starts with ``vagent``, ``python -m vagent`` or
``python -c`` (``\\``-continued lines joined); ``$ `` before it means the lines that follow, up
to the next ``$ `` or the block's end, are its output. A block that needs a model server, a
device, data or a long run is marked ``<!-- not-run -->`` on the line before it. Commands run
with bash in an empty folder, with this interpreter's ``vagent`` and ``python`` first on PATH.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOT_RUN = "<!-- not-run -->"
COMMAND = re.compile(r"(vagent|python -m vagent|python -c)\b")
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


class Command(NamedTuple):
    where: str  # "docs/parsing.md:31"
    line: str
    output: str | None  # what the page shows it printing, if it does


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each ```bash block not marked not-run."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() in ("```bash", "```sh"):
            marked = i > 0 and lines[i - 1].strip() == NOT_RUN
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            if not marked:
                out.append((i + 2, lines[i + 1:end]))
            i = end
        i += 1
    return out


def commands(path: Path, text: str | None = None) -> list[Command]:
    text = path.read_text(encoding="utf-8") if text is None else text
    found: list[Command] = []
    for first, lines in _blocks(text):
        k = 0
        while k < len(lines):
            line, number, shown = lines[k], first + k, lines[k].startswith("$ ")
            line = line[2:] if shown else line
            while line.endswith("\\") and k + 1 < len(lines):
                k += 1
                line = line[:-1] + lines[k].strip()
            k += 1
            output = None
            if shown:
                rest = []
                while k < len(lines) and not lines[k].startswith("$ "):
                    rest.append(lines[k])
                    k += 1
                output = "\n".join(rest).strip()
            if COMMAND.match(line):
                where = f"{path.relative_to(ROOT) if path.is_absolute() else path}:{number}"
                found.append(Command(where, line, output))
    return found


ALL = [c for page in PAGES for c in commands(page)]


@pytest.mark.parametrize("command", ALL, ids=[c.where for c in ALL])
def test_the_command_runs_as_written(command: Command, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", "-c", command.line], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=240)
    assert done.returncode == 0, f"{command.where}: {command.line}\n{done.stderr[-2000:]}"
    if command.output is not None:
        assert done.stdout.strip() == command.output, command.where


def test_the_pages_hold_the_cheap_commands() -> None:
    lines = [c.line for c in ALL]
    for start in ("vagent --help", "vagent envs", "vagent policies", "vagent parse ",
                  "python -m vagent ", "vagent run "):
        assert any(line.startswith(start) for line in lines), start
    assert any(c.output for c in ALL)  # at least one page shows output that is checked


def test_the_extractor_reads_blocks_as_documented() -> None:
    page = ("text\n```bash\nvagent envs   # list\nmake demo\n$ vagent parse 'x' \\\n"
            "    --screen 10x10\n[1]\n[2]\n$ python -c 'print(1)'\n1\n```\n"
            f"{NOT_RUN}\n```bash\nvagent eval cards\n```\n```python\nvagent = 1\n```\n")
    got = commands(Path("page.md"), page)
    assert got == [Command("page.md:3", "vagent envs   # list", None),
                   Command("page.md:5", "vagent parse 'x' --screen 10x10", "[1]\n[2]"),
                   Command("page.md:9", "python -c 'print(1)'", "1")]


def test_links_between_pages_lead_to_files() -> None:
    broken = []
    for page in PAGES:
        text = re.sub(r"`[^`\n]*`", "", page.read_text(encoding="utf-8"))  # code is no link
        for target, _ in LINK.findall(text):
            if "://" in target:
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_paths_the_pages_name_exist() -> None:
    # `envs/vln/metrics.py`, `policies/formats/`: paths into this repository's own folders
    own = re.compile(r"`((?:actions|agent|benchmarks|cli|envs|perf|policies|training|tests|docs)"
                     r"(?:/[\w.\-]+)+/?)`")
    missing = [f"{page.relative_to(ROOT)}: {path}" for page in PAGES
               for path in own.findall(page.read_text(encoding="utf-8"))
               if not (ROOT / path).exists()]
    assert missing == []
