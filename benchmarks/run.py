"""One resumable benchmark run: the shape every benchmark's results share.

``OUT/settings.json``  what the run was asked (policy, model, data, seed, the benchmark's own
                       settings); a rerun into OUT with other settings is refused, so two runs'
                       results never mix
``OUT/episodes.jsonl`` one ``EpisodeRecord`` per finished episode, appended and flushed as it
                       ends; a rerun skips the episodes already there
``OUT/summary.json``   metrics in percent (each paper's names), per group, counts; atomic
``OUT/summary.md``     the same as a markdown table; atomic
``OUT/runs/<name>/``   an episode's trajectory (the Agent's run folder), ``name = safe_name(id)``

A kill can leave ``episodes.jsonl`` with a cut last line, and a hand-edited file can hold lines
that are JSON but not records (``{}``, ``5``): opening the run rewrites the file without them
(those episodes run again), so appending goes on from clean lines and nothing counts twice.

Usage::

    with BenchmarkRun("vln", out, settings, ids) as run:
        for ep in episodes:
            if not run.done(ep.id):
                run.add(EpisodeRecord(id=ep.id, ...))
        summary = run.finish(metrics, groups, markdown_text)
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from vagent.actions.errors import VagentError
from vagent.agent.pool import EnvFactory, run_episodes

SETTINGS = "settings.json"
EPISODES = "episodes.jsonl"
COMMAND = "command.json"  # the eval command and its options, for ``vagent eval merge``
RUNS = "runs"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 80


class RunError(VagentError):
    """A run folder or a dataset that cannot be run as asked (one line, says what to do)."""


class EpisodeRecord(BaseModel):
    """One line of ``episodes.jsonl``; benchmarks add their own fields beside these."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr
    success: bool | None
    error: str | None = None
    steps: int = 0
    metrics: dict[str, Any] = Field(default_factory=dict)
    run: str | None = None  # the trajectory folder, relative to OUT
    task: str | None = None
    group: str | None = None


def safe_name(episode_id: str) -> str:
    """A file name for an episode id: only ``[A-Za-z0-9._-]``, never ``.``/``..``, at most 80
    characters. An id that had to change (or was too long) gets a hash of the original, so two
    ids never share a name."""
    name = _UNSAFE.sub("_", episode_id).lstrip(".")
    if name == episode_id and 0 < len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(episode_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{name[:_MAX_NAME - 13]}-{digest}" if name else digest


@dataclass(frozen=True)
class RunPaths:
    """Where a run's episodes write their trajectories (picklable: Ray workers get it)."""

    out: Path

    def folder(self, episode_id: str) -> Path:
        """The episode's trajectory folder: always inside ``OUT/runs``."""
        return self.out / RUNS / safe_name(episode_id)

    @staticmethod
    def relative(episode_id: str) -> str:
        return f"{RUNS}/{safe_name(episode_id)}"


@dataclass(frozen=True)
class Spread:
    """How the episodes of the runs opened under ``spread(...)`` are spread out — none of the
    benchmark's business, so the CLI sets it once for any benchmark:

    ``shard``        ``(i, n)``: only the episodes at positions ``k`` with ``k % n == i`` of
                     the data order (a Slurm job array's task ``i`` of ``n``); recorded in
                     ``settings.json`` as ``"i/n"``
    ``ray``          a Ray address (``"auto"``, ``"ray://head:10001"``, ``"local"``): episodes
                     run as Ray actors' tasks (``agent.pool``), the policy built on each actor by
                     ``make_policy``
    ``finish_only``  run nothing, write the summary of the records there (``eval merge``)
    ``command``      the eval command and its options, written to ``OUT/command.json``
    """

    shard: tuple[int, int] | None = None
    ray: str | None = None
    make_policy: Callable[[], Any] | None = None
    finish_only: bool = False
    command: dict[str, Any] | None = None


_SPREAD: contextvars.ContextVar[Spread] = contextvars.ContextVar("spread", default=Spread())


@contextlib.contextmanager
def spread(**how: Any) -> Iterator[Spread]:
    """Open the runs of this block with ``Spread(**how)``."""
    token = _SPREAD.set(Spread(**how))
    try:
        yield _SPREAD.get()
    finally:
        _SPREAD.reset(token)


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` with 0 ≤ i < n (a one-line error otherwise)."""
    i, sep, n = text.partition("/")
    if not sep or not i.strip().isdigit() or not n.strip().isdigit() or not 0 <= int(i) < int(n):
        raise RunError(f"--shard takes i/n with 0 ≤ i < n (e.g. 0/4 … 3/4), not {text!r}")
    return int(i), int(n)


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def prepare_out(out: Path) -> Path:
    """Create the results folder (or say in one line why it cannot be one)."""
    if out.exists() and not out.is_dir():
        raise RunError(f"--out {out} is a file — give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunError(f"cannot create --out {out} ({e.strerror}) — give a folder you can "
                       "write to") from None
    return out


def read_episodes(path: Path, repair: bool = False) -> dict[str, dict[str, Any]]:
    """Records of ``episodes.jsonl`` by id (the first of an id wins). Lines that are not
    records (cut by a kill, ``{}``, ``5``, not UTF-8) are skipped — and, with ``repair``, the
    file is rewritten without them."""
    records: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records
    data = path.read_bytes()
    dropped = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            rec = EpisodeRecord.model_validate_json(line).model_dump(exclude_none=False)
        except (ValidationError, ValueError):
            dropped += 1
            continue
        if rec["id"] in records:
            dropped += 1
            continue
        records[rec["id"]] = rec
    if repair and (dropped or (data and not data.endswith(b"\n"))):
        _atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                    for r in records.values()))
    return records


class BenchmarkRun:
    """A resumable run of one benchmark over episodes named by ``ids`` into ``out``.

    ``settings`` is what must match for a rerun to resume (never the number of episodes or
    workers: a rerun may ask for more). ``status(records)`` is the live text of the progress
    display (e.g. ``"SR 40.0%"``). ``add`` is thread-safe.
    """

    def __init__(self, benchmark: str, out: str | Path, settings: dict[str, Any],
                 ids: Sequence[str], *, progress: bool = True,
                 status: Callable[[list[dict[str, Any]]], str] | None = None):
        self.benchmark = benchmark
        self.out = Path(out)
        self.paths = RunPaths(self.out)
        self.spread = _SPREAD.get()
        self.ids = list(ids)
        shard = self.spread.shard
        if shard is not None:
            settings = {**settings, "shard": f"{shard[0]}/{shard[1]}"}
        self.settings = json.loads(json.dumps({"benchmark": benchmark, **settings},
                                              default=str))
        self._status = status
        self._show = progress
        self._lock = threading.Lock()
        self._file: Any = None
        self._bar: Any = None
        self.ran = 0  # episodes finished by this process (a resumed run counts only its own)
        self._check_ids()  # over all the data: a shard must not miss a duplicate
        if shard is not None:
            self.ids = self.ids[shard[0]::shard[1]]
        self._prepare_out()
        self._guard()
        if self.spread.command is not None:
            _atomic_write(self.out / COMMAND, json.dumps(self.spread.command, indent=1,
                                                         default=str) + "\n")
        self.records = read_episodes(self.out / EPISODES, repair=True)

    # -- opening -------------------------------------------------------------------------------
    def _check_ids(self) -> None:
        seen: set[str] = set()
        for i in self.ids:
            if i in seen:
                raise RunError(f"the data holds episode id {i!r} twice — give every episode its "
                               "own id")
            seen.add(i)

    def _prepare_out(self) -> None:
        prepare_out(self.out)

    def _guard(self) -> None:
        path = self.out / SETTINGS
        if not path.exists():
            _atomic_write(path, json.dumps(self.settings, indent=2, ensure_ascii=False) + "\n")
            return
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise RunError(f"{path} is not a settings file — delete it or use another --out"
                           ) from None
        old, new = _flat(before if isinstance(before, dict) else {}), _flat(self.settings)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if changed:
            k = changed[0]
            more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
            raise RunError(f"{self.out} holds a run with other settings ({k}: "
                           f"{old.get(k)!r} there, {new.get(k)!r} now{more}) — use another "
                           f"--out, or delete {self.out} to start over")

    # -- running -------------------------------------------------------------------------------
    def __enter__(self) -> BenchmarkRun:
        self._file = open(self.out / EPISODES, "a", encoding="utf-8")
        if self._show:
            self._start_progress()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _start_progress(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        console = Console(stderr=True)
        self._bar = Progress(TextColumn(self.benchmark), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                             TimeRemainingColumn(), console=console, transient=True,
                             disable=not console.is_terminal)
        done = sum(1 for i in self.ids if i in self.records)
        self._task = self._bar.add_task(self.benchmark, total=len(self.ids), completed=done,
                                        status=self._status_text())
        self._bar.start()

    def _status_text(self) -> str:
        if self._status is None:
            return ""
        recs = self.selected()
        return self._status(recs) if recs else ""

    @property
    def todo(self) -> list[str]:
        """The ids not finished yet, in data order."""
        return [i for i in self.ids if i not in self.records]

    def done(self, episode_id: str) -> bool:
        return episode_id in self.records

    def folder(self, episode_id: str) -> Path:
        """The episode's trajectory folder: always inside ``OUT/runs``."""
        return self.paths.folder(episode_id)

    @staticmethod
    def relative(episode_id: str) -> str:
        return RunPaths.relative(episode_id)

    def add(self, record: EpisodeRecord | dict[str, Any]) -> dict[str, Any]:
        """Append a finished episode (flushed before returning)."""
        rec = (record if isinstance(record, EpisodeRecord)
               else EpisodeRecord.model_validate(record)).model_dump()
        line = json.dumps(rec, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            if self._file is None:
                raise RuntimeError("BenchmarkRun.add outside its with block")
            if rec["id"] in self.records:
                raise RunError(f"episode {rec['id']!r} was recorded already")
            self._file.write(line)
            self._file.flush()
            self.records[rec["id"]] = rec
            self.ran += 1
            if self._bar is not None:
                self._bar.update(self._task, advance=1, status=self._status_text())
        return rec

    def forget(self, ids: Iterable[str]) -> None:
        """Take finished episodes out of the file so that they run again (``--retry-failed``)."""
        drop = set(ids) & set(self.records)
        if not drop:
            return
        with self._lock:
            self.records = {k: v for k, v in self.records.items() if k not in drop}
            _atomic_write(self.out / EPISODES, "".join(
                json.dumps(r, ensure_ascii=False, default=str) + "\n"
                for r in self.records.values()))
            if self._file is not None:  # the old handle points at the replaced file
                self._file.close()
                self._file = open(self.out / EPISODES, "a", encoding="utf-8")

    def map(self, jobs: Iterable[Any], one: Callable[[Any, Any, Any], EpisodeRecord | dict],
            *, key: Callable[[Any], str], make_env: EnvFactory, policy: Any,
            workers: int = 1) -> None:
        """Run ``one(env, policy, job)`` for the jobs whose episode (``key(job)``) is in this
        run (its shard) and not finished, ``workers`` at a time (``agent.pool``: one env per
        worker, the policy shared; on Ray one actor per worker), and add each record as it
        finishes, in any order. Under Ray an episode whose worker died runs once more, then is
        recorded as lost (see ``lost``)."""
        wanted = set(self.todo)
        self.dispatch([j for j in jobs if key(j) in wanted], one, make_env=make_env,
                      policy=policy, workers=workers, on_done=lambda _job, rec: self.add(rec),
                      on_lost=lambda job, why: self.add(EpisodeRecord(
                          id=key(job), success=None, error=why[:300], lost=True)))

    def dispatch(self, jobs: list[Any], one: Callable[[Any, Any, Any], Any], *,
                 make_env: EnvFactory, policy: Any, workers: int,
                 on_done: Callable[[Any, Any], None],
                 on_lost: Callable[[Any, str], None]) -> None:
        """``agent.pool`` as this run is spread: threads here, or actors on Ray (where a job
        whose worker died twice goes to ``on_lost``); nothing under ``finish_only``."""
        if self.spread.finish_only or not jobs:
            return
        if self.spread.ray is not None:
            from vagent.agent.pool import run_on_ray

            run_on_ray(jobs, one, make_env=make_env, make_policy=self.spread.make_policy,
                       address=self.spread.ray, workers=workers, on_done=on_done,
                       on_lost=on_lost)
            return
        run_episodes(jobs, one, make_env=make_env, policy=policy, workers=workers,
                     on_done=on_done)

    def selected(self) -> list[dict[str, Any]]:
        """The finished records of this run's ids, in data order (others in the file, e.g.
        from a run with a larger --episodes, are not counted; nor are lost episodes)."""
        return [r for r in self._finished() if not r.get("lost")]

    def lost(self) -> list[dict[str, Any]]:
        """Episodes of this run whose Ray worker died twice: recorded (a rerun does not run
        them again) with the error, but outside every metric — the environment failed, not
        the policy, and a lost episode has none of the benchmark's own fields."""
        return [r for r in self._finished() if r.get("lost")]

    def _finished(self) -> list[dict[str, Any]]:
        return [self.records[i] for i in self.ids if i in self.records]

    # -- finishing -----------------------------------------------------------------------------
    def finish(self, metrics: dict[str, float], groups: dict[str, dict[str, Any]],
               markdown: str, **extra: Any) -> dict[str, Any]:
        """Write ``summary.json`` and ``summary.md`` (atomically) and return the summary."""
        recs, lost = self.selected(), self.lost()
        summary = {"benchmark": self.benchmark, "settings": self.settings, "metrics": metrics,
                   "groups": groups, "episodes": len(recs),
                   "errors": sum(1 for r in recs if r.get("error")) + len(lost),
                   "ran": self.ran, "unfinished": len(self.ids) - len(recs) - len(lost),
                   **({"lost": len(lost)} if lost else {}), **extra}
        if lost:
            markdown += (f"\n{len(lost)} episode(s) lost: their Ray worker died twice (first: "
                         f"{lost[0]['id']}, {lost[0]['error']}); they are not in the figures — "
                         f"delete their lines from {EPISODES} to run them again.\n")
        _atomic_write(self.out / "summary.json",
                      json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
        _atomic_write(self.out / "summary.md", markdown)
        return summary


def percent(k: float, n: int) -> float:
    """``100 k / n`` rounded to 2 places (0 for no episodes)."""
    return round(100 * k / n, 2) if n else 0.0




# -- merging shards ----------------------------------------------------------------------------
def merge_shards(folders: Sequence[str | Path], out: str | Path) -> dict[str, Any]:
    """Combine the results folders of ``--shard i/n`` runs into ``out``: their records in one
    ``episodes.jsonl``, their trajectories under ``out/runs``, the settings without the shard.
    Returns the eval command (``command.json``) to open ``out`` with, ``finish_only``, so the
    summary is computed exactly as an unsharded run's. Shards of other settings, the same shard
    twice, or a folder that is not a shard are refused in one line."""
    import shutil

    out = Path(out)
    base: dict[str, Any] | None = None
    command: dict[str, Any] | None = None
    seen: dict[int, Path] = {}
    total = None
    records: dict[str, dict[str, Any]] = {}
    for folder in map(Path, folders):
        try:
            settings = json.loads((folder / SETTINGS).read_text(encoding="utf-8"))
            cmd = json.loads((folder / COMMAND).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise RunError(f"{folder} is not a results folder of vagent eval (no readable "
                           f"{SETTINGS} and {COMMAND}) — give the --out folders of the shards"
                           ) from None
        shard = settings.pop("shard", None) if isinstance(settings, dict) else None
        if shard is None:
            raise RunError(f"{folder} holds no --shard run — merge the folders of "
                           "'--shard i/n' runs")
        i, n = parse_shard(shard)
        if base is None:
            base, command, total = settings, cmd, n
        else:
            old, new = _flat(base), _flat(settings)
            changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            if changed:
                k = changed[0]
                raise RunError(f"{folder} is a shard of a run with other settings ({k}: "
                               f"{old.get(k)!r} in {seen[min(seen)]}, {new.get(k)!r} here) — "
                               "merge only shards of one run")
            if n != total:
                raise RunError(f"{folder} is shard {shard}, the others are of /{total} — merge "
                               "shards of one split")
        if i in seen:
            raise RunError(f"{folder} and {seen[i]} are both shard {shard} — give each shard "
                           "once")
        seen[i] = folder
        for rid, rec in read_episodes(folder / EPISODES).items():
            records.setdefault(rid, rec)
            if rec.get("run"):
                src, dst = folder / rec["run"], out / rec["run"]
                if src.is_dir() and not dst.exists():
                    shutil.copytree(src, dst)
    if base is None or command is None:
        raise RunError("give the shard folders to merge")
    prepare_out(out)
    path = out / SETTINGS
    if path.exists():
        try:
            there = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            there = None
        if there != base:
            raise RunError(f"{out} holds another run — merge into a new folder")
    _atomic_write(path, json.dumps(base, indent=2, ensure_ascii=False) + "\n")
    _atomic_write(out / EPISODES, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n"
                                          for r in records.values()))
    command["params"]["out"] = str(out)
    command["shards"] = {"merged": sorted(seen), "of": total,
                         "missing": [i for i in range(total or 0) if i not in seen]}
    return command


__all__ = ["BenchmarkRun", "COMMAND", "EPISODES", "EpisodeRecord", "RunError", "RunPaths",
           "SETTINGS", "Spread", "merge_shards", "parse_shard", "percent", "prepare_out",
           "read_episodes", "safe_name", "spread"]
