"""vagent's REVERIE scores against REVERIE's own evaluator, per episode, on the released files.

    python -m vagent.perf.vln_reference --reverie PATH/TO/REVERIE --split val_unseen --seeds 3

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


def _walks(episodes: list[Any], data: Any, seed: int | None) -> list[dict[str, Any]]:
    """One record per episode: the walk and the object named at the stop."""
    from vagent.envs.vln.env import Go, VLNEnv

    records = []
    env = VLNEnv(data=data, dataset="reverie", episodes=episodes, views=False)
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
    ap.add_argument("--reverie", type=Path, required=True)
    ap.add_argument("--split", default="val_unseen")
    ap.add_argument("--seeds", type=int, default=3, help="random-walk runs (seeds 0..N-1)")
    args = ap.parse_args(argv)

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
    for name, seed in [("reference path", "path"), ("oracle", None)] + [
            (f"random seed {s}", s) for s in range(args.seeds)]:
        if seed == "path":
            recs = [{"id": e.id, "walk": list(e.path), "predicted_object": e.object_id}
                    for e in episodes]
        else:
            recs = _walks(episodes, data, seed)  # type: ignore[arg-type]
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
