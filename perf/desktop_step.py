"""Desktop env latencies on a real Xvfb: screenshot (mss → RGB array) and each action.

    python benchmarks/perf/desktop_step.py [--sizes 1280x800,1920x1080] [--repeat 30]

For each screen size it starts its own Xvfb, then times, with pyautogui's pause and the env's
settle time set to 0 (so the figures are the work itself, not the waits a user configures):
the raw grab, the full observation (grab + pointer query), and env.step for every input action
(the step includes the observation after the action). Prints a markdown table in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    for _ in range(3):  # warm up (first grabs allocate buffers)
        fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def measure(size: str, repeat: int) -> list[tuple[str, float, float]]:
    from vagent import envs

    env = envs.make("desktop", xvfb=size, pause=0, settle=0, drag_duration=0)
    try:
        w, h = env.screen_size
        cx, cy = w // 2, h // 2
        rows = [("screenshot (mss grab → RGB)", *_time(env._grab, repeat)),
                ("observation (grab + pointer)", *_time(env._observe, repeat))]
        steps: dict[str, dict[str, Any]] = {
            "move": {"action": "move", "x": cx, "y": cy},
            "click": {"action": "click", "x": cx, "y": cy},
            "double click": {"action": "click", "x": cx, "y": cy, "clicks": 2},
            "drag (no tween)": {"action": "drag", "x1": 10, "y1": 10, "x2": cx, "y2": cy},
            "scroll down 3": {"action": "scroll", "direction": "down", "amount": 3},
            "scroll right 3": {"action": "scroll", "direction": "right", "amount": 3},
            "key ctrl+shift+k": {"action": "key", "keys": ["ctrl", "shift", "k"]},
            "type 20 ASCII chars": {"action": "type", "text": "Hello, world! <20ch>"},
            "type 8 non-ASCII (clipboard)": {"action": "type", "text": "Grüße 東京"},
        }
        for name, action in steps.items():
            rows.append((f"step: {name}", *_time(lambda a=action: env.step(a), repeat)))
        return rows
    finally:
        env.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1280x800,1920x1080")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    sizes = args.sizes.split(",")
    results = {size: measure(size, args.repeat) for size in sizes}
    print(f"desktop env latencies, ms (median / p95 of {args.repeat}; pause=0, settle=0)\n")
    print("| what | " + " | ".join(sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for i, (name, _, _) in enumerate(results[sizes[0]]):
        cells = [f"{results[s][i][1]:.1f} / {results[s][i][2]:.1f}" for s in sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
