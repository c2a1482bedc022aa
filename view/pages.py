"""The two pages: a run (its steps, each screenshot with the action drawn) and an evaluation
(its metrics, a bar chart per group, a filterable table of episodes linking to their runs).

A page is assembled from parts (``run_parts``, ``evaluation_parts``): regions re-drawn whole and
lists that only grow (steps, film thumbnails, episode rows). The static file holds them all; a
served page asks ``live.json?n=N`` for the regions and the list items from N on (``live``), so
the same Python draws a step whether it was there at the start or arrived while watching.
Everything but the screenshots is inside the file: CSS and script inlined, no network.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vagent.agent.render import COLORS, caption, describe, figure, image_size

from .read import (
    Evaluation,
    Run,
    episode_page,
    episode_run,
    kind,
    read_evaluation,
    read_run,
    run_folder,
    step_records,
)

esc = html.escape

# StepRecord's own fields; anything else a benchmark wrote is shown under "other fields".
STEP_FIELDS = {"step", "raw", "thought", "calls", "frame", "action", "clamped", "tool_results",
               "reward", "terminated", "truncated", "error", "warnings", "attempts", "timings",
               "screenshot", "observation_text", "info"}
PRED_KEYS = ("prediction", "pred")
GOLD_KEYS = ("ground_truth", "gold", "gt")


def _asset(name: str) -> str:
    return resources.files("vagent.view").joinpath(name).read_text(encoding="utf-8")


def _json(value: Any) -> str:
    return esc(json.dumps(value, ensure_ascii=False, indent=1, default=str))


def _first(rec: dict[str, Any], keys: tuple[str, ...]) -> tuple[bool, Any]:
    for where in (rec, rec.get("info") if isinstance(rec.get("info"), dict) else {}):
        for k in keys:
            if k in where:
                return True, where[k]
    return False, None


def _number(v: Any) -> float:
    """A number from a record, 0 when it is missing or not one (a hand-edited file)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def _seconds(v: Any) -> str:
    try:
        return f"{float(v):.2f} s"
    except (TypeError, ValueError):
        return esc(str(v))


# -- run page ---------------------------------------------------------------------------------
def _pair(rec: dict[str, Any]) -> tuple[Any, Any] | None:
    """(prediction, ground truth) when a step carries both (AITZ), else None."""
    has_pred, pred = _first(rec, PRED_KEYS)
    has_gold, gold = _first(rec, GOLD_KEYS)
    return (pred, gold) if has_pred and has_gold else None


def _picture(run: Run, rec: dict[str, Any]) -> str:
    shot = rec.get("screenshot")
    if not isinstance(shot, str) or not shot:
        return '<div class="noshot">no screenshot</div>'
    size = image_size(run.folder / shot)
    if size is None:
        return f'<div class="noshot">screenshot {esc(shot)} is missing</div>'
    pair = _pair(rec)
    layers = ([(pair[0], "pred"), (pair[1], "gold")] if pair
              else [(rec.get("action"), "act")])
    return figure(run.src(shot), *size, layers, rec)


def _badges(rec: dict[str, Any]) -> str:
    out = []
    if rec.get("error"):
        out.append('<span class="badge bad">error</span>')
    if rec.get("clamped"):
        out.append('<span class="badge warn">clamped</span>')
    if int(rec.get("attempts") or 1) > 1:
        out.append(f'<span class="badge warn">{int(rec["attempts"])} attempts</span>')
    if rec.get("terminated"):
        out.append('<span class="badge">terminated</span>')
    if rec.get("truncated"):
        out.append('<span class="badge">truncated</span>')
    if rec.get("reward"):
        out.append(f'<span class="badge">reward {esc(str(rec["reward"]))}</span>')
    return "".join(out)


def _details(summary: str, body: str, cls: str = "") -> str:
    return f'<details class="{cls}"><summary>{summary}</summary>{body}</details>'


def _info(rec: dict[str, Any]) -> str:
    parts = []
    pair = _pair(rec)
    if pair:
        parts.append(f'<p class="act"><span class="key pred">prediction</span> '
                     f'<code>{esc(describe(pair[0]))}</code></p>'
                     f'<p class="act"><span class="key gold">ground truth</span> '
                     f'<code>{esc(describe(pair[1]))}</code></p>')
    else:
        parts.append(f'<p class="act"><code>{esc(caption(rec))}</code></p>')
    if rec.get("thought"):
        parts.append(f'<p class="thought">{esc(str(rec["thought"]))}</p>')
    if rec.get("error"):
        parts.append(f'<p class="err">{esc(str(rec["error"]))}</p>')
    warnings = rec.get("warnings") or []
    if warnings:
        parts.append('<ul class="warnings">' + "".join(f"<li>{esc(str(w))}</li>"
                                                       for w in warnings) + "</ul>")
    for tool in rec.get("tool_results") or []:
        if isinstance(tool, dict):
            parts.append(f'<div class="tool"><span class="key">tool {esc(str(tool.get("name")))}'
                         f'</span><pre>{esc(str(tool.get("result", ""))[:4000])}</pre></div>')
    raw = str(rec.get("raw") or "")
    if raw:
        parts.append(_details(f"raw output ({len(raw)} chars)", f"<pre>{esc(raw)}</pre>", "raw"))
    if rec.get("calls"):
        parts.append(_details(f"parsed calls ({esc(str(rec.get('frame', 'pixels')))} frame)",
                              f"<pre>{_json(rec['calls'])}</pre>"))
    if rec.get("observation_text"):
        parts.append(_details("observation text",
                              f"<pre>{esc(str(rec['observation_text']))}</pre>"))
    timings = rec.get("timings") or {}
    if isinstance(timings, dict) and timings:
        parts.append('<p class="timings">' + " · ".join(
            f"{esc(str(k))} {_seconds(v)}" for k, v in timings.items()) + "</p>")
    other = {k: v for k, v in rec.items() if k not in STEP_FIELDS}
    if rec.get("info"):
        other["info"] = rec["info"]
    if other:
        parts.append(_details("other fields", f"<pre>{_json(other)}</pre>"))
    return "".join(parts)


def step_block(run: Run, rec: dict[str, Any], index: int) -> str:
    n = rec.get("step", index)
    return (f'<section class="step" id="s{index}" data-item="{index}" tabindex="-1">'
            f'<div class="fig">{_picture(run, rec)}</div>'
            f'<div class="info"><h2>Step {esc(str(n))} {_badges(rec)}</h2>{_info(rec)}</div>'
            f"</section>")


def film_thumb(run: Run, rec: dict[str, Any], index: int) -> str:
    shot = rec.get("screenshot")
    state = "bad" if rec.get("error") else ""
    pic = (f'<img loading="lazy" src="{esc(run.src(shot))}" alt="">'
           if isinstance(shot, str) and shot else '<span class="blank"></span>')
    return (f'<a class="thumb {state}" href="#s{index}" data-to="{index}">{pic}'
            f"<span>{esc(str(rec.get('step', index)))}</span></a>")


def _policy(meta: dict[str, Any]) -> dict[str, Any]:
    p = meta.get("policy")
    return p if isinstance(p, dict) else {"name": p}


def _verdict(success: Any, error: Any = None) -> str:
    if error:
        return '<span class="badge bad">error</span>'
    return {True: '<span class="badge good">success</span>',
            False: '<span class="badge bad">failure</span>'}.get(
        success, '<span class="badge">unscored</span>')


def run_head(run: Run) -> str:
    meta, policy = run.meta, _policy(run.meta)
    result = meta.get("result") if isinstance(meta.get("result"), dict) else {}
    running = not result
    rows = [("policy", policy.get("name")), ("model", policy.get("model") or meta.get("model")),
            ("format", policy.get("format") or meta.get("format")),
            ("env", meta.get("env_name") or meta.get("env")), ("seed", meta.get("seed")),
            ("started", meta.get("started"))]
    if result:
        rows += [("result", None), ("reason", result.get("reason")),
                 ("steps", result.get("steps")), ("time", result.get("seconds"))]
    cells = []
    for name, value in rows:
        if name == "result":
            cells.append(f"<dt>result</dt><dd>{_verdict(result.get('success'))}</dd>")
        elif name == "time" and value is not None:
            cells.append(f"<dt>time</dt><dd>{_seconds(value)}</dd>")
        elif value not in (None, ""):
            cells.append(f"<dt>{name}</dt><dd>{esc(str(value))}</dd>")
    decide = sum(_number(s["timings"].get("decide")) for s in run.steps
                 if isinstance(s.get("timings"), dict))
    if decide:
        cells.append(f"<dt>deciding</dt><dd>{decide:.2f} s</dd>")
    state = '<span class="badge live">running</span>' if running else ""
    back = f'<a class="back" href="{esc(run.back)}">↑ evaluation</a>' if run.back else ""
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in run.notes)
    legend = (f'<p class="legend"><i style="background:{COLORS["act"]}"></i>executed action '
              "(or prediction) "
              f'<i style="background:{COLORS["gold"]}"></i>ground truth (when recorded) '
              f'<i style="background:{COLORS["model"]}"></i>model point before clamping '
              "· keys: ← → or j k step, Home End</p>")
    return (f"{back}<h1>{esc(str(meta.get('task') or run.folder.name))} {state}</h1>"
            f'<dl class="meta">{"".join(cells)}</dl>{notes}{legend}')


def run_parts(run: Run, start: int = 0) -> dict[str, Any]:
    """The head, and the steps and thumbnails from ``start`` on."""
    new = list(enumerate(run.steps))[start:]
    return {"regions": {"head": run_head(run)},
            "append": {"steps": [step_block(run, r, i) for i, r in new],
                       "film": [film_thumb(run, r, i) for i, r in new]},
            "n": len(run.steps)}


# -- evaluation page --------------------------------------------------------------------------
def _state(ep: dict[str, Any]) -> str:
    if ep.get("error"):
        return "error"
    return {True: "success", False: "failure"}.get(ep.get("success"), "unscored")


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def _metrics(ev: Evaluation) -> dict[str, Any]:
    metrics = ev.summary.get("metrics")
    if isinstance(metrics, dict) and metrics:
        return metrics
    scored = [e for e in ev.episodes if e.get("success") is not None]
    return {"success (so far)": _pct(sum(bool(e["success"]) for e in scored), len(scored))}


def _groups(ev: Evaluation) -> dict[str, dict[str, Any]]:
    groups = ev.summary.get("groups")
    if isinstance(groups, dict) and groups:
        return {str(k): v for k, v in groups.items() if isinstance(v, dict)}
    by: dict[str, list[dict[str, Any]]] = {}
    for e in ev.episodes:
        if e.get("group") is not None:
            by.setdefault(str(e["group"]), []).append(e)
    out = {}
    for g, eps in sorted(by.items()):
        scored = [e for e in eps if e.get("success") is not None]
        out[g] = {"success (so far)": _pct(sum(bool(e["success"]) for e in scored), len(scored)),
                  "n": len(eps)}
    return out


def bar_chart(metric: str, values: dict[str, tuple[float, Any]]) -> str:
    """One horizontal bar per group, 0-100 %, as inline SVG."""
    row, label_w, bar_w = 22, 180, 360
    height = row * len(values) + 8
    bars = []
    for i, (group, (value, n)) in enumerate(values.items()):
        y = 4 + i * row
        w = max(0.0, min(value, 100.0)) / 100 * bar_w
        name = group if len(group) <= 26 else group[:25] + "…"
        count = f" (n={n})" if n is not None else ""
        bars.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{esc(name)}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row - 6}" '
                    f'class="track"/><rect x="{label_w}" y="{y + 3}" width="{w:.1f}" '
                    f'height="{row - 6}" class="bar"><title>{esc(group)}: {value:g}%{count}'
                    f'</title></rect><text x="{label_w + bar_w + 6}" y="{y + 15}">{value:g}%'
                    f"{esc(count)}</text>")
    return (f'<figure class="chart"><figcaption>{esc(metric)} by group</figcaption>'
            f'<svg viewBox="0 0 {label_w + bar_w + 90} {height}" width="{label_w + bar_w + 90}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg></figure>')


def charts(ev: Evaluation) -> str:
    groups = _groups(ev)
    names: list[str] = []
    for g in groups.values():
        names += [m for m, v in g.items() if m != "n" and isinstance(v, (int, float))
                  and not isinstance(v, bool) and m not in names]
    out = []
    for metric in names:
        values = {g: (float(v[metric]), v.get("n")) for g, v in groups.items()
                  if isinstance(v.get(metric), (int, float))}
        out.append(bar_chart(metric, values))
    return "".join(out) or '<p class="note">no groups to chart</p>'


def metric_cards(ev: Evaluation) -> str:
    cards = []
    for name, value in _metrics(ev).items():
        shown = f"{value:g}%" if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else esc(str(value))
        cards.append(f'<div class="card"><b>{shown}</b><span>{esc(str(name))}</span></div>')
    return "".join(cards)


def evaluation_head(ev: Evaluation) -> str:
    name = ev.summary.get("benchmark") or ev.settings.get("benchmark") or ev.folder.name
    counts: dict[str, int] = {}
    for e in ev.episodes:
        counts[_state(e)] = counts.get(_state(e), 0) + 1
    total = ev.summary.get("episodes")
    done = len(ev.episodes)
    running = '<span class="badge live">running</span>' if not ev.summary else ""
    shown = f"{done}" + (f" of {total}" if isinstance(total, int) and total != done else "")
    tally = " · ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    settings = ev.settings or ev.summary.get("settings") or {}
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in ev.notes)
    return (f"<h1>{esc(str(name))} {running}</h1><p>{shown} episodes · {esc(tally)}</p>"
            + (_details("settings", f"<pre>{_json(settings)}</pre>") if settings else "")
            + notes)


def _metric_text(metrics: Any) -> str:
    if not isinstance(metrics, dict):
        return ""
    return " ".join(f"{esc(str(k))}={esc(str(v))}" for k, v in metrics.items())


def episode_row(ev: Evaluation, ep: dict[str, Any], index: int) -> str:
    state = _state(ep)
    task = str(ep.get("task") or "")
    run = run_folder(ev, ep)
    link = ""
    if run is not None:
        href = quote(run.relative_to(ev.folder.resolve()).as_posix()) + "/index.html"
        link = f'<a href="{href}">run →</a>'
    elif step_records(ep) is not None:
        link = f'<a href="{episode_page(index)}">steps →</a>'
    error = str(ep.get("error") or "")
    return (f'<tr data-item="{index}" data-state="{state}" data-task="{esc(task.lower())}">'
            f"<td>{esc(str(ep.get('id', index)))}</td><td>{esc(task)}</td>"
            f"<td>{esc(str(ep.get('group') or ''))}</td><td>{_verdict(ep.get('success'), error)}"
            f"</td><td>{esc(str(ep.get('steps', '')))}</td>"
            f"<td class=\"small\">{_metric_text(ep.get('metrics'))}</td>"
            f'<td class="small err">{esc(error[:200])}</td><td>{link}</td></tr>')


def evaluation_parts(ev: Evaluation, start: int = 0) -> dict[str, Any]:
    """The head, metrics and charts, and the episode rows from ``start`` on."""
    rows = [episode_row(ev, e, i) for i, e in enumerate(ev.episodes) if i >= start]
    return {"regions": {"head": evaluation_head(ev), "metrics": metric_cards(ev),
                        "charts": charts(ev)},
            "append": {"rows": rows}, "n": len(ev.episodes)}


# -- whole pages ------------------------------------------------------------------------------
def _shell(title: str, kind_: str, n: int, body: str) -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{_asset('page.css')}</style></head>"
            f'<body class="{kind_}" data-n="{n}">{body}<script>{_asset("page.js")}</script>'
            "</body></html>")


def run_page(run: Run) -> str:
    parts = run_parts(run)
    body = (f'<header id="head">{parts["regions"]["head"]}</header>'
            f'<nav id="film" class="film">{"".join(parts["append"]["film"])}</nav>'
            f'<main id="steps">{"".join(parts["append"]["steps"])}</main>')
    return _shell(f"vagent run · {run.meta.get('task', run.folder.name)}", "run", parts["n"],
                  body)


FILTERS = ("all", "success", "failure", "error")


def evaluation_page(ev: Evaluation) -> str:
    parts = evaluation_parts(ev)
    buttons = "".join(f'<button type="button" data-filter="{f}"'
                      f'{" class=on" if f == "all" else ""}>{f}</button>' for f in FILTERS)
    body = (f'<header id="head">{parts["regions"]["head"]}</header>'
            f'<section id="metrics" class="cards">{parts["regions"]["metrics"]}</section>'
            f'<section id="charts">{parts["regions"]["charts"]}</section>'
            f'<section class="episodes"><div class="tools">{buttons}'
            f'<input id="q" type="search" placeholder="search tasks…" aria-label="search tasks">'
            f'<span id="shown"></span></div><table><thead><tr><th>id</th><th>task</th>'
            f"<th>group</th><th>result</th><th>steps</th><th>metrics</th><th>error</th><th></th>"
            f'</tr></thead><tbody id="rows">{"".join(parts["append"]["rows"])}</tbody></table>'
            f"</section>")
    return _shell(f"vagent evaluation · {ev.folder.name}", "evaluation", parts["n"], body)


def render(folder: Path) -> str:
    """The page of a run or an evaluation folder."""
    if kind(folder) == "run":
        return run_page(read_run(folder))
    return evaluation_page(read_evaluation(folder))


def live(folder: Path, n: int) -> dict[str, Any]:
    """What a page showing ``n`` list items needs to catch up: regions whole, items from n on."""
    n = max(n, 0)
    if kind(folder) == "run":
        return run_parts(read_run(folder), n)
    return evaluation_parts(read_evaluation(folder), n)


def episode_pages(ev: Evaluation, served: bool = False) -> dict[int, str]:
    """The pages of the episodes scored step by step (no run folder), by record index."""
    return {i: run_page(episode_run(ev, i, served)) for i, ep in enumerate(ev.episodes)
            if run_folder(ev, ep) is None and step_records(ep) is not None}
