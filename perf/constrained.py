"""Parse failures with and without constrained decoding, per prompt format.

    python -m vagent.perf.constrained [--steps 200] [--workers 8] [--formats qwen2vl qwen25vl uitars]
                                      [--budget-s SECONDS]

A random-weight tiny checkpoint (``qwen2vl`` family for the qwen2vl and uitars formats,
``qwen25vl`` for qwen25vl; built into .cache/tiny-models on first use) answers ``--steps``
first steps of phone tasks (each its own task wording and random screenshot), free and with
``constrain=true``; the answers are parsed by the format's parser. ``--workers`` threads ask at
once, so the steps run in batches. Prints failures, the seconds per step, and the mean length
of the answers. Free runs get fewer new tokens (``--free-max-new-tokens``): enough for any valid
call, and a random model's free answers fail whatever their length. On a crowded machine
``--budget-s`` bounds each run: no step starts after it, and the row counts the steps done.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FAMILY = {"qwen2vl": "qwen2vl", "qwen25vl": "qwen25vl", "uitars": "qwen2vl"}
WORDS = ["open", "the", "clock", "settings", "find", "restaurants", "in", "San", "Diego", "call",
         "mum", "turn", "on", "wifi", "search", "weather", "Paris", "set", "alarm"]


def decisions(policy: Any, steps: int, workers: int, until: float = float("inf")) -> list[Any]:
    """The decisions of up to ``steps`` first steps (those started before ``until``)."""
    from vagent.actions import get_space
    from vagent.actions.context import Context

    space = get_space("mobile").with_screen(640, 400)
    out: list[Any] = [None] * steps
    todo = list(range(steps))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not todo or time.perf_counter() > until:
                    return
                i = todo.pop()
            rng = np.random.default_rng(i)
            task = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 8))))
            shot = rng.integers(0, 255, (400, 640, 3), dtype=np.uint8)
            out[i] = policy.act(Context(task=task, space=space, screen=(640, 400),
                                        observation={"screenshot": shot, "text": ""}))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return [d for d in out if d is not None]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m vagent.perf.constrained")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--free-steps", type=int, default=None,
                    help="steps of the free runs (default: --steps)")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=200,
                    help="constrained runs: room for the longest answer the grammar allows")
    ap.add_argument("--free-max-new-tokens", type=int, default=64,
                    help="free runs: a valid call fits; a random model fails either way")
    ap.add_argument("--formats", nargs="+", default=list(FAMILY))
    ap.add_argument("--budget-s", type=float, default=float("inf"),
                    help="seconds per run after which no step starts (the row says how many ran)")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch's intra-op threads (two contend badly on a loaded 2-core machine)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.torch_threads)

    from vagent import policies
    from vagent.policies.tiny import cached_tiny_checkpoint

    print("| format | constrained | steps | parse failures | s/step | mean answer tokens |")
    print("|---|---|---:|---:|---:|---:|")
    for fmt in args.formats:
        path = cached_tiny_checkpoint(ROOT / ".cache" / "tiny-models", FAMILY[fmt])  # type: ignore[arg-type]
        for constrain in (False, True):
            policy = policies.make("qwen-vl", model=str(path), format=fmt, constrain=constrain,
                                   max_new_tokens=args.max_new_tokens if constrain
                                   else args.free_max_new_tokens, min_pixels=4 * 28 * 28,
                                   max_pixels=16 * 28 * 28)
            t = time.perf_counter()
            steps = args.steps if constrain else (args.free_steps or args.steps)
            ds = decisions(policy, steps, args.workers, until=t + args.budget_s)
            steps = len(ds)
            per = (time.perf_counter() - t) / steps
            failed = sum(d.error is not None for d in ds)
            length = statistics.mean(d.timings.get("generated_len", 0) for d in ds)
            print(f"| {fmt} | {'yes' if constrain else 'no'} | {steps} | {failed} | "
                  f"{per:.2f} | {length:.0f} |", flush=True)
            policy.close()


if __name__ == "__main__":
    main()
