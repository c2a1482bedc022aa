"""ALFRED's leaderboard file, from finished test episodes.

ALFRED's ``models/eval/leaderboard.py`` dumps ``tests_actseqs_dump_<time>.json``:
``{"tests_seen": [{"<task_id>": [action, ...]}, ...], "tests_unseen": [...]}`` — one single-key
dict per episode (a trial with one of its annotations, so a task_id repeats once per
annotation), written with indent 4 and sorted keys. Each action is the THOR API dict ALFRED's
``ThorEnv.to_thor_api_exec`` builds (ai2thor 2.1's form):

==================================  ============================================================
MoveAhead, Rotate*, Look*           ``{action, forceAction: true}``
OpenObject                          ``{action, objectId, moveMagnitude: 1.0}``
CloseObject                         ``{action, objectId, forceAction: true}``
PickupObject, ToggleObject*, Slice  ``{action, objectId}``
PutObject                           ``{action, objectId: held, receptacleObjectId: target,
                                    forceAction: true, placeStationary: true}``
==================================  ============================================================

Actions THOR refused are in the list (the leaderboard records them); actions refused before
THOR (no such object in view) are not. This env's GotoLocation is a teleport, written as
ai2thor 2.1's ``TeleportFull {x, y, z, rotation, horizon, rotateOnTeleport}``: ALFRED's test
rules allow only its discrete navigation, so a file holding teleports (``teleports()`` counts
them; the run's summary says so) is a record of the run, not a valid leaderboard entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FILE = "tests_actseqs_dump.json"
SPLITS = ("tests_seen", "tests_unseen")

#: THOR 5 action → (fields kept from the logged call, fields ALFRED's dict adds)
API: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "MoveAhead": ((), {"forceAction": True}),
    "RotateLeft": ((), {"forceAction": True}),
    "RotateRight": ((), {"forceAction": True}),
    "LookUp": ((), {"forceAction": True}),
    "LookDown": ((), {"forceAction": True}),
    "OpenObject": (("objectId",), {"moveMagnitude": 1.0}),
    "CloseObject": (("objectId",), {"forceAction": True}),
    "PickupObject": (("objectId",), {}),
    "ToggleObjectOn": (("objectId",), {}),
    "ToggleObjectOff": (("objectId",), {}),
    "SliceObject": (("objectId",), {}),
}


class SubmissionError(ValueError):
    """A logged action the leaderboard's format has no form for."""


def api_action(logged: dict[str, Any]) -> dict[str, Any]:
    """One logged THOR call (``ThorBackend.actions``) as ALFRED's API dict."""
    action = logged["action"]
    if action == "PutObject":  # 5.x names the receptacle objectId; 2.1 names the held object
        return {"action": "PutObject", "objectId": logged.get("held") or "",
                "receptacleObjectId": logged["objectId"], "forceAction": True,
                "placeStationary": True}
    if action == "Teleport":
        pos, rot = logged["position"], logged.get("rotation") or {}
        return {"action": "TeleportFull", "x": pos["x"], "y": pos["y"], "z": pos["z"],
                "rotation": rot.get("y", 0.0), "horizon": logged.get("horizon", 30.0),
                "rotateOnTeleport": True}
    if action not in API:
        raise SubmissionError(f"no leaderboard form for THOR action {action!r}")
    keep, extra = API[action]
    return {"action": action, **{k: logged[k] for k in keep}, **extra}


def submission(records: dict[str, Iterable[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``{split: records}`` (records with ``task_id`` and ``thor_actions``) → the dump's dict;
    both test splits are always present (an empty list for one not run)."""
    unknown = sorted(set(records) - set(SPLITS))
    if unknown:
        raise SubmissionError(f"ALFRED's leaderboard takes {' and '.join(SPLITS)}, not "
                              f"{', '.join(unknown)}")
    return {split: [{r["task_id"]: [api_action(a) for a in r.get("thor_actions") or []]}
                    for r in records.get(split, [])] for split in SPLITS}


def teleports(sub: dict[str, list[dict[str, Any]]]) -> int:
    return sum(a["action"] == "TeleportFull" for split in sub.values() for ep in split
               for acts in ep.values() for a in acts)


def dump(path: Path, sub: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sub, indent=4, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def merge(*paths: Path) -> dict[str, list[dict[str, Any]]]:
    """One file from a tests_seen run's and a tests_unseen run's files (the leaderboard takes
    both splits in one file)."""
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for p in paths:
        data = json.loads(Path(p).read_text(encoding="utf-8"))
        for split in SPLITS:
            out[split] += data.get(split, [])
    return out


def write(out: Path, records: list[dict[str, Any]], split: str) -> dict[str, Any]:
    """Write ``OUT/tests_actseqs_dump.json`` for one split's run; what the summary says."""
    sub = submission({split: records})
    dump(out / FILE, sub)
    note: dict[str, Any] = {"file": FILE, "split": split, "episodes": len(sub[split]),
                            "other_split": "merge with the other test split's file "
                                           "(benchmarks.alfred.submission.merge) before sending"}
    if n := teleports(sub):
        note["teleports"] = n
        note["note"] = ("GotoLocation is a teleport here (TeleportFull in the file); ALFRED's "
                        "test rules allow only its discrete navigation, so this file records "
                        "the run but is not a valid leaderboard entry")
    return note


def after_run(out: Path, records: list[dict[str, Any]], split: str | None) -> dict[str, Any]:
    """What a finished run on a test split adds to its summary (nothing for other splits)."""
    if not split or split not in SPLITS:
        return {}
    return {"submission": write(out, records, split)}


def markdown_notes(extra: dict[str, Any]) -> str:
    sub = extra.get("submission")
    if not sub:
        return ""
    text = (f"\nSubmission: `{sub['file']}` ({sub['split']}, {sub['episodes']} episodes) — "
            f"{sub['other_split']}.\n")
    if "note" in sub:
        text += f"\n**{sub['teleports']} teleports:** {sub['note']}.\n"
    return text
