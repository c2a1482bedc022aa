"""``vagent view``: a run or an evaluation as a web page, written beside it or served live.

A floor above ``agent`` (it reads trajectories and draws actions with ``agent.render``); nothing
below imports it. ``write(folder)`` writes ``folder/index.html`` (and, for an evaluation, one page
per run folder); ``serve(folder, port)`` serves the same pages on 127.0.0.1 and keeps them live.
"""

from __future__ import annotations

from pathlib import Path

from .pages import episode_pages, live, render
from .read import ViewError, episode_page, kind, read_evaluation, run_folder
from .server import serve

PAGE = "index.html"


def write(folder: str | Path) -> Path:
    """Write the folder's page (and its runs' pages, for an evaluation); return its path."""
    folder = Path(folder)
    if kind(folder) == "evaluation":
        ev = read_evaluation(folder)
        for ep in ev.episodes:
            run = run_folder(ev, ep)
            if run is not None and run.is_dir() and _kind_or_none(run) == "run":
                _write(run, render(run))
        for index, page in episode_pages(ev).items():
            path = folder / episode_page(index)
            path.parent.mkdir(exist_ok=True)
            _write(path.parent, page, path.name)
    return _write(folder, render(folder))


def _kind_or_none(folder: Path) -> str | None:
    try:
        return kind(folder)
    except ViewError:
        return None


def _write(folder: Path, page: str, name: str = PAGE) -> Path:
    path = folder / name
    tmp = folder / (name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = ["PAGE", "ViewError", "live", "render", "serve", "write"]
