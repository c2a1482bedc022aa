"""Run a policy over a function-calling set and score its first call per item.

Each item is an episode of the ``fncall`` env: the model sees the image and the question with
the item's tools, and its first call is scored (type match, exact match). With ``max_steps`` > 1
the agent also runs the tool and lets the model read the result and answer, as a user would.
Each item is one record of ``OUT/episodes.jsonl`` (the shape of ``benchmarks.run``;
``success`` is the exact match); a rerun resumes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr

from vagent.actions import files
from vagent.actions.errors import VagentError

from ..run import BenchmarkRun, EpisodeRecord, RunPaths

from .metrics import exact_match, type_match


class Expected(BaseModel):
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class Item(BaseModel):
    """One line of a function-calling set (the boundary: checked here, not mid-run)."""

    model_config = ConfigDict(extra="allow")

    id: Annotated[StrictStr, BeforeValidator(
        lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]
    question: StrictStr
    expected: Expected
    image: StrictStr | None = None
    tools: list[StrictStr | dict[str, Any]] | None = None


def load_items(path: str | Path) -> list[dict[str, Any]]:
    """The items of a JSONL set; each one's tools resolved and its image decoded, so that a bad
    line stops the run before it starts, naming the line."""
    from vagent.envs.fncall import resolve_tools

    p = Path(path)
    if not p.exists():
        raise VagentError(f"no dataset at {p} — give a JSONL file or omit --data for the example")
    items = []
    for n, value in files.read_jsonl(p, "dataset"):
        where = f"{p}:{n}"
        if not isinstance(value, dict):
            raise files.DataFileError(f"{where}: each line is a JSON object")
        item = files.validate(Item, value, where)
        try:
            resolve_tools(item.tools or [])
        except (VagentError, ValueError, TypeError, KeyError) as e:
            raise files.DataFileError(f"{where}: tools: {e}") from None
        if item.image:
            files.open_image(p.parent / item.image)
        items.append(item.model_dump(exclude_none=True))
    return items


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    by_tool: dict[str, dict[str, float]] = {}
    for rec in records:
        t = by_tool.setdefault(rec["expected"]["name"], {"items": 0, "type": 0, "exact": 0})
        t["items"] += 1
        t["type"] += rec["type_match"]
        t["exact"] += rec["exact_match"]
    return {
        "items": n,
        "type_match": round(100 * sum(r["type_match"] for r in records) / n, 2) if n else 0.0,
        "exact_match": round(100 * sum(r["exact_match"] for r in records) / n, 2) if n else 0.0,
        "parse_errors": sum(1 for r in records if r.get("error")),
        "per_tool": {k: {"items": v["items"],
                         "type_match": round(100 * v["type"] / v["items"], 2),
                         "exact_match": round(100 * v["exact"] / v["items"], 2)}
                     for k, v in sorted(by_tool.items())},
    }


def markdown(summary: dict[str, Any], policy: str) -> str:
    rows = ["| tool | items | type match % | exact match % |", "|---|---:|---:|---:|"]
    for name, t in summary["per_tool"].items():
        rows.append(f"| {name} | {t['items']} | {t['type_match']:.1f} | {t['exact_match']:.1f} |")
    rows.append(f"| **all** | {summary['items']} | {summary['type_match']:.1f} | "
                f"{summary['exact_match']:.1f} |")
    return f"# Function calling — policy `{policy}`\n\n" + "\n".join(rows) + "\n"


def run(items: list[dict[str, Any]], root: Path, policy: Any, out: Path,
        max_steps: int = 1, *, data: str | None = None, seed: int | None = None,
        progress: bool = True, workers: int = 1) -> dict[str, Any]:
    """Run ``policy`` on the items not yet in ``OUT/episodes.jsonl``, ``workers`` at once (one
    env each); return the summary."""
    from vagent import envs

    settings = {"policy": policy.describe(), "data": data, "seed": seed, "max_steps": max_steps}
    with BenchmarkRun("fncall", out, settings, [str(i["id"]) for i in items],
                      progress=progress, status=_status) as bench:
        paths = bench.paths
        bench.map(items, lambda env, policy, item: _one(env, policy, item, root, paths,
                                                        max_steps),
                  key=lambda item: item["id"], make_env=lambda: envs.make("fncall"),
                  policy=policy, workers=workers)
        records = bench.selected()
        summary = summarise(records)
        groups = {name: {"type_match": t["type_match"], "exact_match": t["exact_match"],
                         "n": t["items"]} for name, t in summary["per_tool"].items()}
        return bench.finish({"type_match": summary["type_match"],
                             "exact_match": summary["exact_match"]}, groups,
                            markdown(summary, policy.describe().get("name", "?")),
                            parse_errors=summary["parse_errors"], max_steps=max_steps)


def _one(env: Any, policy: Any, item: dict[str, Any], root: Path, paths: RunPaths,
         max_steps: int) -> EpisodeRecord:
    from vagent import envs
    from vagent.agent import Agent

    traj = Agent(policy, env, out=paths.folder(item["id"]), max_steps=max_steps).run(
        item["question"], options={"item": item, "root": str(root)})
    first = traj.steps[0] if traj.steps else None
    pred = first.calls[0] if first and first.calls else None
    tools = {t.name: t for t in envs.fncall.resolve_tools(item.get("tools") or [])}
    expected = item["expected"]
    defaults = {}
    if expected["name"] in tools:
        model = tools[expected["name"]].model
        defaults = {k: f.default for k, f in model.model_fields.items()
                    if k != "action" and not f.is_required()}
    exact = exact_match(pred, expected, defaults)
    typed = type_match(pred, expected)
    return EpisodeRecord(
        id=item["id"], success=bool(exact), error=first.error if first else "no step",
        steps=len(traj.steps), metrics={"type_match": typed, "exact_match": exact},
        run=paths.relative(item["id"]), task=item["question"], group=expected["name"],
        expected=expected, prediction=pred, type_match=typed, exact_match=exact,
        raw=first.raw if first else "")


def _status(records: list[dict[str, Any]]) -> str:
    return f"exact {100 * sum(r['exact_match'] for r in records) / len(records):.1f}%"
