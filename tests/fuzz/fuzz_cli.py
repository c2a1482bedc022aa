"""Try a large batch of bad inputs on every CLI loader and bad option (by hand, not in CI).

    .venv/bin/python tests/fuzz/fuzz_cli.py [--per-case N] [--seed S]

Each case gets the fixed bad files of ``badinputs.FIXED`` and N random ones (random bytes,
invalid UTF-8, deep nesting, random JSON of the wrong shape, valid-looking records with a field
dropped or of the wrong type, hostile ids); every bad option of ``badinputs.OPTION_CASES`` runs
once. Prints the count tried and every broken promise (traceback, internal error, exit code,
more than one line, a file outside --out); the goal is 0.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: fuzz.badinputs

from fuzz.badinputs import CASES, FIXED, HOSTILE_IDS, OPTION_CASES, invoke  # noqa: E402

#: a valid-looking record per loader, mutated by ``mutate``
SEEDS = {
    "fncall --data": {"id": "a", "question": "q", "expected": {"name": "get_weather",
                                                                "arguments": {"city": "P"}},
                      "tools": ["get_weather"]},
    "replay --actions": {"action": "click", "x": 10, "y": 10},
    "aitz episode": {"episode_id": "1000000001", "step_id": 0, "instruction": "i",
                     "result_action_type": 4, "result_touch_yx": "[0.5, 0.5]",
                     "result_lift_yx": "[0.5, 0.5]", "ui_positions": "[]"},
    "aitz --predictions": {"episode_id": "1000000001", "step_id": 0,
                           "action": {"action": "click", "x": 1, "y": 1}},
    "alfred traj_data": {"task_id": "t", "task_type": "pick_and_place_simple",
                         "scene": {"floor_plan": "FloorPlan1", "scene_num": 1},
                         "plan": {"high_pddl": []}, "turk_annotations": {"anns": []}},
    "vln annotations": {"scan": "S", "path_id": 1, "path": ["a", "b"], "heading": 0.0,
                        "instructions": ["go"], "distance": 1.0},
    "vln connectivity": {"image_id": "a", "pose": [0] * 16, "included": True,
                         "unobstructed": [True], "height": 1.0},
    "train sft --data": {"messages": [{"role": "user", "content": "<image>hi"},
                                      {"role": "assistant", "content": "ok"}],
                         "images": ["x.png"]},
    "data export": {"step": 0, "raw": "x", "action": {"action": "click", "x": 1, "y": 1}},
}
WRONG = [None, True, -1, 2**70, 1.5, float("nan"), "abc", "", [], [5], {}, {"x": 1}, "../../x",
         "\udcff"]


def random_json(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 2**64, 1e308, 3.5])
    if kind == 2:
        return rng.choice(["", "a", "../x", "\x00", "ü" * 5, "[1]"])
    if kind == 3:
        return rng.choice(HOSTILE_IDS)
    if kind in (4, 5):
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["id", "step_id", "x", "action", "messages", "path"]):
            random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def mutate(rng: random.Random, record: dict) -> dict:
    rec = json.loads(json.dumps(record))
    key = rng.choice(list(rec))
    choice = rng.randrange(3)
    if choice == 0:
        del rec[key]
    elif choice == 1:
        rec[key] = rng.choice(WRONG)
    else:
        for k in ("id", "episode_id", "task_id", "path_id", "image_id"):
            if k in rec:
                rec[k] = rng.choice(HOSTILE_IDS)
    return rec


def contents(name: str, rng: random.Random, n: int) -> list[bytes]:
    out = list(FIXED)
    for _ in range(n):
        kind = rng.randrange(5)
        if kind == 0:
            out.append(rng.randbytes(rng.randrange(1, 300)))
        elif kind == 1:
            out.append(json.dumps(random_json(rng)).encode())
        elif kind == 2 and name in SEEDS:
            rec = mutate(rng, SEEDS[name])
            wrap = name in ("aitz episode", "vln annotations", "vln connectivity")
            text = json.dumps([rec] if wrap else rec, allow_nan=True, ensure_ascii=False)
            out.append(text.encode("utf-8", "surrogatepass"))
        elif kind == 3:
            d = rng.randrange(150, 5000)
            out.append(("{\"a\":" * d + "1" + "}" * d).encode())
        else:
            out.append(rng.randbytes(20) + b"\n" + json.dumps(random_json(rng)).encode())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-case", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    import logging

    logging.disable(logging.WARNING)  # the policies' retry warnings are not what is measured
    tried = broken = tracebacks = 0
    for name, case in CASES.items():
        for content in contents(name, rng, args.per_case):
            with tempfile.TemporaryDirectory() as tmp:
                sb = Path(tmp)
                outcome = invoke(case(sb, content), sb)
            tried += 1
            # a random input may happen to be valid: exit 0 is fine, anything else must be clean
            problems = outcome.problems(ok_codes=(0, 1, 2))
            tracebacks += "Traceback" in outcome.stderr or "internal error" in outcome.stderr
            if problems:
                broken += 1
                print(f"{name}: {content[:60]!r}: {'; '.join(problems)}", flush=True)
    for argv, value in OPTION_CASES:
        with tempfile.TemporaryDirectory() as tmp:
            sb = Path(tmp)
            outcome = invoke([*argv, value], sb)
        tried += 1
        problems = outcome.problems(ok_codes=(2,))
        tracebacks += "Traceback" in outcome.stderr or "internal error" in outcome.stderr
        if problems:
            broken += 1
            print(f"{' '.join(argv)} {value}: {'; '.join(problems)}", flush=True)
    print(f"tried {tried} bad inputs: {broken} broke a promise, {tracebacks} tracebacks "
          "(or internal errors)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
