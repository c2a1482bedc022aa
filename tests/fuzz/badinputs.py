"""Bad inputs for every CLI command and loader, and the harness that runs one in-process.

Shared by tests/test_hardening.py (hypothesis, a few examples each, in CI) and
tests/fuzz/fuzz_cli.py (thousands, by hand). A *case* is a function ``(sandbox, content) ->
argv``: it writes ``content`` (bytes) where its loader reads and returns the command line, with
``--out`` inside ``sandbox/out``. ``invoke`` runs it and returns what a user would see.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

AITZ_DATA = Path(__file__).resolve().parent.parent / "data" / "aitz"

#: ids a dataset could hold that must never become paths outside --out
HOSTILE_IDS = ["../../../escape", "/tmp/vagent-absolute", "..", ".", "", "a/../../b", "x\x00y",
               "~root", "C:\\win", "ä" * 300, "-rf", "\n", "runs/../../up"]


def deep(n: int = 100_000) -> bytes:
    return ("[" * n + "]" * n).encode()


#: fixed bad file contents every loader must refuse in one line
FIXED = [b"", b"\xff\xfe\x00garbage\x80", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), deep(),
         b'{"a":' * 50_000, b"null", b"5", b'"text"', b"[]", b"{}", b"[5]", b"[{}]",
         b"[null]", b'[{"id": 5}]', b"NaN", b"[NaN, Infinity]", "ü".encode("latin-1"),
         b"\xef\xbb\xbf[]", b"\x00" * 64]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    outside: list[str] = field(default_factory=list)  # files written outside --out

    def problems(self, ok_codes: tuple[int, ...] = (1, 2)) -> list[str]:
        """What breaks the promise: a traceback, an internal error, an exit code other than
        ``ok_codes``, more than one line on stderr, a file outside --out."""
        found = []
        err = self.stderr.strip()
        if "Traceback" in self.stderr:
            found.append("traceback")
        if "internal error" in err:
            found.append(f"internal error: {err[:200]}")
        if self.code not in ok_codes:
            found.append(f"exit {self.code}")
        if self.code in (1, 2) and len(err.splitlines()) != 1:
            found.append(f"{len(err.splitlines())} lines on stderr: {err[:300]!r}")
        if self.outside:
            found.append(f"written outside --out: {self.outside[:3]}")
        return found


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def invoke(argv: list[str], sandbox: Path, stdin: str = "") -> Outcome:
    """``vagent ARGV`` in-process with cwd = ``sandbox``; files appearing anywhere in the
    sandbox but under ``sandbox/out`` (or the case's own inputs, written before) count as
    written outside --out."""
    from vagent.cli.main import run

    before = _files(sandbox)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # parse writes to stdout.buffer
    err = io.StringIO()
    cwd = os.getcwd()
    old_stdin = os.sys.stdin
    try:
        os.chdir(sandbox)
        os.sys.stdin = io.StringIO(stdin)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
    finally:
        os.chdir(cwd)
        os.sys.stdin = old_stdin
    after = _files(sandbox)
    outside = sorted(p for p in after - before if not (p == "out" or p.startswith("out/")))
    out.flush()
    return Outcome(code, out.buffer.getvalue().decode("utf-8", "replace"), err.getvalue(),
                   outside)


# -- cases: where each loader reads a file ------------------------------------------------------
def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def fncall_data(sb: Path, content: bytes) -> list[str]:
    return ["eval", "fncall", "--data", str(_write(sb / "in" / "set.jsonl", content)),
            "--out", str(sb / "out")]


def replay_actions(sb: Path, content: bytes) -> list[str]:
    return ["run", "t", "--env", "buttons", "--policy", "replay", "--max-steps", "2",
            "--actions", str(_write(sb / "in" / "actions.json", content)), "--quiet",
            "--out", str(sb / "out")]


def _aitz_episode_with(sb: Path, name: str, content: bytes) -> list[str]:
    """The AITZ test episode copied, with its file ``name`` replaced by ``content``."""
    src = AITZ_DATA / "general" / "GENERAL-1000000001"
    folder = sb / "in" / "aitz" / "general" / "GENERAL-1000000001"
    shutil.copytree(src, folder, dirs_exist_ok=True)
    _write(folder / name, content)
    return ["eval", "aitz", "--data", str(sb / "in" / "aitz"), "--out", str(sb / "out")]


def aitz_episode(sb: Path, content: bytes) -> list[str]:
    return _aitz_episode_with(sb, "GENERAL-1000000001.json", content)


def aitz_image(sb: Path, content: bytes) -> list[str]:
    return _aitz_episode_with(sb, "GENERAL-1000000001_0.png", content)


def aitz_predictions(sb: Path, content: bytes) -> list[str]:
    return ["eval", "aitz", "--data", str(AITZ_DATA), "--subset", "general",
            "--predictions", str(_write(sb / "in" / "preds.jsonl", content)),
            "--out", str(sb / "out")]


def alfred_task(sb: Path, content: bytes) -> list[str]:
    _write(sb / "in" / "alfred" / "s" / "t1" / "trial_0" / "traj_data.json", content)
    return ["eval", "alfred", "--data", str(sb / "in" / "alfred"), "--split", "s",
            "--out", str(sb / "out")]


def vln_annotations(sb: Path, content: bytes) -> list[str]:
    _write(sb / "in" / "vln" / "R2R_s.json", content)
    return ["eval", "vln", "--data", str(sb / "in" / "vln"), "--split", "s",
            "--out", str(sb / "out")]


def vln_connectivity(sb: Path, content: bytes) -> list[str]:
    item = [{"scan": "S", "path_id": 1, "path": ["a", "b"], "heading": 0.0,
             "instructions": ["go"], "distance": 1.0}]
    _write(sb / "in" / "vln" / "R2R_s.json", json.dumps(item).encode())
    _write(sb / "in" / "vln" / "connectivity" / "S_connectivity.json", content)
    return ["eval", "vln", "--data", str(sb / "in" / "vln"), "--split", "s",
            "--out", str(sb / "out")]


def sft_data(sb: Path, content: bytes) -> list[str]:
    return ["train", "sft", "--data", str(_write(sb / "in" / "train.jsonl", content)),
            "--model", str(sb / "no-model"), "--out", str(sb / "out")]


def authorized_keys(sb: Path, content: bytes) -> list[str]:
    return ["sim", "phone", "--port", "0",
            "--authorized-keys", str(_write(sb / "in" / "adbkey.pub", content))]


def export_trajectory(sb: Path, content: bytes) -> list[str]:
    run = sb / "in" / "runs" / "r1"
    _write(run / "meta.json", b'{"task": "t", "result": {"success": true}}')
    _write(run / "trajectory.jsonl", content)
    return ["data", "export", str(sb / "in" / "runs"), "--out", str(sb / "out" / "x.jsonl")]


def view_meta(sb: Path, content: bytes) -> list[str]:
    run = sb / "out"
    _write(run / "meta.json", content)
    _write(run / "trajectory.jsonl", b"")
    return ["view", str(run)]


def parse_text(sb: Path, content: bytes) -> list[str]:
    return ["parse", content.decode("utf-8", "surrogateescape")[:10_000] or "x"]


#: name -> case; every loader a user can point at a file
CASES: dict[str, Callable[[Path, bytes], list[str]]] = {
    "fncall --data": fncall_data, "replay --actions": replay_actions,
    "aitz episode": aitz_episode, "aitz image": aitz_image,
    "aitz --predictions": aitz_predictions, "alfred traj_data": alfred_task,
    "vln annotations": vln_annotations, "vln connectivity": vln_connectivity,
    "train sft --data": sft_data, "sim phone --authorized-keys": authorized_keys,
    "data export": export_trajectory, "view meta.json": view_meta, "parse": parse_text,
}

#: (argv, a bad value) -> every one a usage error (exit 2) before anything loads
OPTION_CASES: list[tuple[list[str], str]] = [
    (["run", "t", "--max-steps"], "0"), (["run", "t", "--max-steps"], "-3"),
    (["run", "t", "--seed"], "-1"), (["run", "t", "--env"], "nope"),
    (["run", "t", "--device"], "nope"), (["run", "t", "--keep-images"], "0"),
    (["run", "t", "--time-budget"], "nan"), (["run", "t", "--parse-retries"], "-1"),
    (["run", "t", "--out"], "/dev/null"), (["run", "t", "--env", "desktop", "--env-opt"],
                                           "resize=0x0"),
    (["run", "t", "--env", "buttons", "--env-opt"], "nosuch=1"),
    (["eval", "cards", "--episodes"], "-2"), (["eval", "cards", "--workers"], "0"),
    (["eval", "cards", "--seed"], "-5"), (["eval", "cards", "--out"], "/dev/null"),
    (["eval", "fncall", "--example-size"], "0"), (["eval", "fncall", "--episodes"], "-1"),
    (["eval", "alfred", "--per-type"], "0"), (["eval", "vln", "--scans"], "100000000"),
    (["eval", "aitz", "--data", ".", "--workers"], "0"), (["eval", "phone-sim", "--max-steps"],
                                                          "0"),
    (["sim", "phone", "--port"], "99999"), (["sim", "phone", "--port"], "-1"),
    (["view", ".", "--port"], "70000"),
    (["train", "sft", "--data", "d", "--model", "m", "--out", "o", "--epochs"], "0"),
    (["train", "sft", "--data", "d", "--model", "m", "--out", "o", "--lr"], "nan"),
    (["train", "sft", "--data", "d", "--model", "m", "--out", "o", "--lr"], "-1"),
    (["train", "sft", "--data", "d", "--model", "m", "--out", "o", "--batch-size"], "0"),
    (["train", "sft", "--data", "d", "--model", "m", "--out", "o", "--device"], "gpu0"),
    (["data", "export", ".", "--out", "x.jsonl", "--keep-images"], "0"),
    (["data", "generate", "numberline", "--out", "o", "--episodes"], "0"),
    (["parse", "x", "--space"], "nope"), (["run", "t", "--policy", "openai", "--model", "m",
                                           "--api-base"], "not a url"),
]
