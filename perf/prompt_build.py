"""How long building one step's prompt takes per format (the reference packages render
``qwen2vl`` / ``qwen25vl`` / ``uitars*``): a phone episode of N past steps, three screenshots
kept, the budget roomy or tight (tight makes the builder bisect). Prints milliseconds per build.

    python -m vagent.perf.prompt_build [--steps 10] [--repeat 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vagent.actions import get_space
from vagent.actions.context import Context, StepView
from vagent.policies import formats
from vagent.policies.history import HistoryConfig, build


def context(steps: int) -> Context:
    shot = np.zeros((2400, 1080, 3), np.uint8)
    views = [StepView(step=i, thought=f"step {i}", raw=f"(answer {i})",
                      calls=[{"action": "click", "x": 10 * i, "y": 20 * i}],
                      screenshot=shot if i >= steps - 2 else None) for i in range(steps)]
    return Context(task="find restaurants in San Diego", space=get_space("mobile")
                   .with_screen(1080, 2400), observation={"screenshot": shot, "text": ""},
                   steps=views, step=steps, screen=(1080, 2400))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    ctx = context(args.steps)
    for name in formats.FORMATS:
        fmt = formats.get(name)
        for label, cfg in (("roomy", HistoryConfig(keep_images=3)),
                           ("tight", HistoryConfig(keep_images=3, max_tokens=6000))):
            build(ctx, fmt, cfg)  # imports and caches
            t = time.perf_counter()
            for _ in range(args.repeat):
                prompt = build(ctx, fmt, cfg)
            ms = (time.perf_counter() - t) / args.repeat * 1000
            print(f"{name:12s} {label:5s} {ms:8.1f} ms/build  images={len(prompt.images)} "
                  f"dropped={prompt.dropped} tokens={prompt.tokens}")


if __name__ == "__main__":
    main()
