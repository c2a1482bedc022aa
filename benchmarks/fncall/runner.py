"""Run a policy over a function-calling set and score its first call per item.

Each item is an episode of the ``fncall`` env: the model sees the image and the question with
the item's tools, and its first call is scored (type match, exact match). With ``max_steps`` > 1
the agent also runs the tool and lets the model read the result and answer, as a user would.
Resumable: items already in ``DIR/items.jsonl`` are not run again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError

from ..records import read_records

from .metrics import exact_match, type_match


def load_items(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.exists():
        raise VagentError(f"no dataset at {p} — give a JSONL file or omit --data for the example")
    items = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise VagentError(f"{p}:{n}: not JSON ({e.msg})") from None
        missing = {"id", "question", "expected"} - set(item)
        if missing:
            raise VagentError(f"{p}:{n}: missing {', '.join(sorted(missing))}")
        items.append(item)
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
        max_steps: int = 1, progress: Any = None) -> dict[str, Any]:
    from vagent import envs
    from vagent.agent import Agent

    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "items.jsonl"
    done = read_records(results_path, lambda r: r["id"], repair=True)
    env = envs.make("fncall")
    with open(results_path, "a", encoding="utf-8") as f:
        for item in items:
            if item["id"] in done:
                if progress:
                    progress()
                continue
            traj = Agent(policy, env, out=out / "episodes" / item["id"], max_steps=max_steps).run(
                             item["question"],
                                            options={"item": item, "root": str(root)})
            first = traj.steps[0] if traj.steps else None
            pred = first.calls[0] if first and first.calls else None
            tools = {t.name: t for t in envs.fncall.resolve_tools(item.get("tools") or [])}
            expected = item["expected"]
            defaults = {}
            if expected["name"] in tools:
                model = tools[expected["name"]].model
                defaults = {k: f.default for k, f in model.model_fields.items()
                            if k != "action" and not f.is_required()}
            rec = {"id": item["id"], "expected": expected, "prediction": pred,
                   "type_match": type_match(pred, expected),
                   "exact_match": exact_match(pred, expected, defaults),
                   "error": first.error if first else "no step",
                   "raw": first.raw if first else ""}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            done[item["id"]] = rec
            if progress:
                progress()
    env.close()
    records = [done[i["id"]] for i in items if i["id"] in done]
    summary = summarise(records)
    summary["policy"] = policy.describe()
    summary["max_steps"] = max_steps
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    (out / "summary.md").write_text(markdown(summary, policy.describe().get("name", "?")),
                                    encoding="utf-8")
    return summary
