"""vagent's VLN scores against R2R's and REVERIE's own evaluators, episode by episode.

    python -m vagent.perf.vln_reference --reverie PATH/TO/REVERIE --split val_unseen --seeds 3
    python -m vagent.perf.vln_reference --r2r PATH/TO/Matterport3DSimulator --r2r-data DIR \
        --split val_unseen --seeds 3

``--reverie`` is a checkout of YuankaiQi/REVERIE (its ``connectivity/``, ``tasks/REVERIE/data``
with the BBox files and the annotations, and ``tasks/REVERIE/eval_release.py``). Nothing is
copied out of it: the script links those folders into a temporary vagent data folder, makes
walks for every episode — the reference path, vagent's oracle, and seeded random walks (a random
number of random moves, then a stop naming a random object seen there or none) — writes them
with vagent's own submission writer, scores that file with ``eval_release.Evaluation`` (its
``'whole'`` mode: SR, OSR, SPL, RGS, RGSPL) and compares every episode with vagent's metrics.
It also counts the episodes whose goal viewpoints differ between "the box file lists the
object" and "its visible_pos is non-empty" (the rule the evaluator uses). Prints figures; run it
where the released files are, they are never part of the repository.

The reference's ``utilsFast`` imports torch and nltk's wordnet for its tokenizer, which the
evaluation never calls: an absent nltk is replaced by an empty module for the import.

``--r2r`` is a checkout of peteanderson80/Matterport3DSimulator (``connectivity/``,
``tasks/R2R/eval.py``) and ``--r2r-data`` the folder holding ``R2R_<split>.json``: the same walks
(reference path, oracle, random), written by vagent's writer and scored by ``eval.Evaluation``
(run from a temporary folder laid out as it expects, ``MatterSim``, which its ``env`` module
imports and the evaluation never uses, stubbed), compared per episode: NE, oracle error, TL,
SR, OSR, SPL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import types
from pathlib import Path
from typing import Any


def _data_folder(reverie: Path, split: str, into: Path) -> Path:
    data = reverie / "tasks" / "REVERIE" / "data"
    (into / "connectivity").symlink_to(reverie / "connectivity")
    (into / "BBox").symlink_to(data / "BBox")
    (into / f"REVERIE_{split}.json").symlink_to(data / f"REVERIE_{split}.json")
    return into


def _reference_evaluator(reverie: Path) -> Any:
    sys.path.insert(0, str(reverie / "tasks" / "REVERIE"))
    if "nltk" not in sys.modules:
        with contextlib.suppress(ImportError):
            import nltk  # noqa: F401
    if "nltk" not in sys.modules:
        nltk = types.ModuleType("nltk")
        corpus = types.ModuleType("nltk.corpus")
        corpus.wordnet = None  # type: ignore[attr-defined]
        nltk.corpus = corpus  # type: ignore[attr-defined]
        sys.modules.update({"nltk": nltk, "nltk.corpus": corpus})
    import eval_release  # type: ignore[import-not-found]

    return eval_release


def _walk_sets(episodes: list[Any], data: Any, seeds: int) -> Any:
    """(name, records): the reference paths, vagent's oracle, random walks per seed."""
    yield "reference path", [{"id": e.id, "walk": list(e.path), "predicted_object": e.object_id}
                             for e in episodes]
    yield "oracle", _walks(episodes, data, None)
    for s in range(seeds):
        yield f"random seed {s}", _walks(episodes, data, s)


def _walks(episodes: list[Any], data: Any, seed: int | None) -> list[dict[str, Any]]:
    """One record per episode: the walk and the object named at the stop."""
    from vagent.envs.vln.env import Go, VLNEnv

    records = []
    env = VLNEnv(data=data, dataset=episodes[0].dataset, episodes=episodes, views=False)
    rng = random.Random(seed)
    for ep in episodes:
        obs, _ = env.reset(options={"episode": ep})
        if seed is None:  # vagent's oracle
            while (act := env.oracle_action()) is not None and isinstance(act, Go):
                env.step(act)
            predicted = act.object_id if act is not None else None
        else:
            for _ in range(rng.randrange(9)):
                obs = env.step({"action": "go", "viewpoint": rng.choice(
                    [c["viewpoint"] for c in obs["candidates"]])})[0]
            seen = sorted(data.objects_at(ep.scan, env.viewpoint))
            predicted = rng.choice(seen + [None]) if seen else None
        records.append({"id": ep.id, "walk": list(env.path), "predicted_object": predicted})
    return records


def _listed(reverie: Path) -> dict[str, set[str]]:
    """scan_objId → viewpoints whose box file lists the object at all (the old rule)."""
    out: dict[str, set[str]] = {}
    for f in (reverie / "tasks" / "REVERIE" / "data" / "BBox").glob("*.json"):
        scan = f.name.split("_")[0]
        for vp, objs in json.loads(f.read_text()).items():
            for oid in objs:
                out.setdefault(f"{scan}_{oid}", set()).add(vp)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reverie", type=Path, help="a YuankaiQi/REVERIE checkout")
    ap.add_argument("--r2r", type=Path, help="a peteanderson80/Matterport3DSimulator checkout")
    ap.add_argument("--r2r-data", type=Path, help="the folder holding R2R_<split>.json")
    ap.add_argument("--split", default="val_unseen")
    ap.add_argument("--seeds", type=int, default=3, help="random-walk runs (seeds 0..N-1)")
    args = ap.parse_args(argv)
    if args.reverie:
        reverie_check(args)
    if args.r2r:
        if not args.r2r_data:
            ap.error("--r2r needs --r2r-data DIR (the folder with R2R_<split>.json)")
        r2r_check(args)
    if not (args.reverie or args.r2r):
        ap.error("give --reverie and/or --r2r")


def r2r_check(args: argparse.Namespace) -> None:
    import os

    from vagent.benchmarks.vln import submission
    from vagent.envs.vln.data import SceneData
    from vagent.envs.vln.datasets import load_split
    from vagent.envs.vln.metrics import score

    repo, split = args.r2r.resolve(), args.split
    tmp = Path(tempfile.mkdtemp(prefix="vagent-r2r-"))
    (tmp / "connectivity").symlink_to(repo / "connectivity")
    (tmp / "tasks" / "R2R" / "data").mkdir(parents=True)
    (tmp / "tasks" / "R2R" / "data" / f"R2R_{split}.json").symlink_to(
        args.r2r_data.resolve() / f"R2R_{split}.json")
    (tmp / f"R2R_{split}.json").symlink_to(args.r2r_data.resolve() / f"R2R_{split}.json")
    data = SceneData(tmp)
    episodes = load_split(tmp, "r2r", split)
    sys.modules.setdefault("MatterSim", types.ModuleType("MatterSim"))
    sys.path.insert(0, str(repo / "tasks" / "R2R"))
    here = os.getcwd()
    os.chdir(tmp)  # eval.py reads tasks/R2R/data/... and connectivity/... from the cwd
    try:
        import eval as r2r_eval  # type: ignore[import-not-found]

        ev = r2r_eval.Evaluation([split])
        items = json.loads((tmp / f"R2R_{split}.json").read_text())
        print(f"R2R {split}: {len(items)} paths, "
              f"{sum(len(it['instructions']) for it in items)} instructions; eval.py scores "
              f"{len(ev.instr_ids)}, vagent runs {len(episodes)} episodes")
        for name, recs in _walk_sets(episodes, data, args.seeds):
            note = submission.write(tmp, recs, episodes, data, "r2r", split)
            summary, scores = ev.score(str(tmp / note["file"]))
            ours = [score(e, r["walk"], data) for e, r in zip(episodes, recs)]
            diff = {
                "NE": max(abs(m["NE"] - x) for m, x in zip(ours, scores["nav_errors"])),
                "TL": max(abs(m["TL"] - x) for m, x in zip(ours, scores["trajectory_lengths"])),
            }
            wrong = {
                "SR": sum(m["success"] != (x < 3.0) for m, x in zip(ours, scores["nav_errors"])),
                "OSR": sum(m["oracle_success"] != (x < 3.0)
                           for m, x in zip(ours, scores["oracle_errors"])),
            }
            n = len(ours)
            mine = {"SR": sum(m["success"] for m in ours) / n,
                    "OSR": sum(m["oracle_success"] for m in ours) / n,
                    "SPL": sum(m["SPL"] for m in ours) / n}
            theirs = {"SR": summary["success_rate"], "OSR": summary["oracle success_rate"],
                      "SPL": summary["spl"]}
            ne = sum(m["NE"] for m in ours) / n
            print(f"{name:>15}: " + "  ".join(
                f"{k} {100 * mine[k]:.2f}/{100 * theirs[k]:.2f}" for k in mine)
                  + f"  NE {ne:.3f}/{summary['nav_error']:.3f} m (vagent/eval.py) — episodes "
                  f"differing: SR {wrong['SR']}, OSR {wrong['OSR']}; max |NE diff| "
                  f"{diff['NE']:.1e} m, max |TL diff| {diff['TL']:.1e} m")
    finally:
        os.chdir(here)


def reverie_check(args: argparse.Namespace) -> None:
    from vagent.benchmarks.vln import submission
    from vagent.envs.vln.data import SceneData
    from vagent.envs.vln.datasets import load_split
    from vagent.envs.vln.metrics import score

    reverie = args.reverie.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="vagent-reverie-"))
    root = _data_folder(reverie, args.split, tmp)
    data = SceneData(root)
    episodes = load_split(root, "reverie", args.split)
    eval_release = _reference_evaluator(reverie)
    ev = eval_release.Evaluation(args.split, "instructions")

    items = {it["id"]: it for it in json.loads(
        (reverie / "tasks" / "REVERIE" / "data" / f"REVERIE_{args.split}.json").read_text())}
    listed = _listed(reverie)
    differ = sum(1 for ep in episodes if {vp for vp in listed.get(f"{ep.scan}_{ep.object_id}", ())}
                 != data.viewpoints_seeing(ep.scan, str(ep.object_id)))
    print(f"REVERIE {args.split}: {len(items)} items, {len(episodes)} episodes; goal viewpoints "
          f"differ between 'listed' and 'visible_pos non-empty' in {differ} episodes")

    keys = {"visible": "success", "oracle_visible": "oracle_success", "rgs": "RGS"}
    for name, recs in _walk_sets(episodes, data, args.seeds):
        note = submission.write(tmp, recs, episodes, data, "reverie", args.split)
        summary = ev.score(str(tmp / note["file"]), "whole")
        ours = [score(e, r["walk"], data, r["predicted_object"]) for e, r in zip(episodes, recs)]
        mismatched = {k: sum(int(bool(m[v])) != int(ref) for m, ref in zip(ours, ev.scores[k]))
                      for k, v in keys.items()}
        length = max(abs(m["TL"] - ref) for m, ref in zip(ours, ev.scores["trajectory_lengths"]))
        n = len(ours)
        mine = {"SR": sum(m["success"] for m in ours) / n, "OSR":
                sum(m["oracle_success"] for m in ours) / n, "SPL": sum(m["SPL"] for m in ours) / n,
                "RGS": sum(m["RGS"] for m in ours) / n, "RGSPL": sum(m["RGSPL"] for m in ours) / n}
        theirs = {"SR": summary["success_rate"], "OSR": summary["oracle success_rate"],
                  "SPL": summary["spl"], "RGS": summary["rgs"], "RGSPL": summary["rgspl"]}
        print(f"{name:>15}: " + "  ".join(
            f"{k} {100 * mine[k]:.2f}/{100 * theirs[k]:.2f}" for k in mine)
              + f"  (vagent/eval_release, %) — episodes differing: "
              + ", ".join(f"{keys[k]} {v}" for k, v in mismatched.items())
              + f"; max |TL diff| {length:.2e} m")


if __name__ == "__main__":
    main()
