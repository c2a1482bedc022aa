"""How long parsing model output takes: typical answers of each format, and garbage.

    python -m vagent.perf.parse_speed [--repeat N]

Prints a markdown table: per format, the time per parse of a typical one-call answer, a
three-call answer, a broken answer that needs repair, and 100 kB / 1 MB of garbage (mixed
format markers and brackets, the worst shapes found while testing). Times are the median of
several runs on this machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections.abc import Callable

from vagent.actions.errors import ParseError
from vagent.actions.parsing import FORMATS, parse, render

TYPICAL = {
    "qwen2vl": '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "target": "<|object_ref_start|>Chrome<|object_ref_end|><|box_start|>(100,200),(300,260)<|box_end|>"}',
    "qwen25vl": 'I need to open the search box.\n<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [935, 406]}}\n</tool_call>',
    "uitars": "Thought: The search box is at the top.\nAction: click(start_box='<|box_start|>(235,512)<|box_end|>')",
    "json": '{"thoughts": "The search box is at the top.", "action": {"action": "click", "x": 451, "y": 553}}',
    "openai": '[{"id": "call_0", "type": "function", "function": {"name": "click", "arguments": "{\\"x\\": 451, \\"y\\": 553}"}}]',
}
BROKEN = {
    "qwen2vl": "✿FUNCTION✿: mobile_use\n✿ARGS✿: {'action': 'type', 'text': 'San Diego's best',",
    "qwen25vl": '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "type", "text": "pizza"}',
    "uitars": "Thought: type it\nAction: type(content='restaurants in San Diego's downtown\\n",
    "json": "```json\n{'thoughts': 'tap', 'action': {'action': 'click', 'x': 451, 'y': 553,},\n```",
    "openai": '[{"function": {"name": "type", "arguments": "{\'text\': \'it\\\'s\', \'submit\': True,"}}]',
}
THREE = [{"action": "click", "x": 100, "y": 200}, {"action": "type", "text": "pizza near me",
                                                   "submit": True},
         {"action": "scroll", "direction": "down", "amount": 300, "x": 500, "y": 600}]
MARKERS = ["<tool_call>", "</tool_call>", "✿FUNCTION✿", "✿ARGS✿", "Action:", "click(",
           "type(content='", "<|box_start|>", "<|box_end|>", "{", "}", "[", "]", '"', "'", ",",
           ":", "\\", "\n", '"action"', '"name"', "(1,2)"]


def garbage(size: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    half = "".join(rng.choice(MARKERS) for _ in range(size // 6))
    return (half + "".join(rng.choice(string.printable) for _ in range(size)))[:size]


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def attempt(text: str, fmt: str) -> Callable[[], object]:
    def run() -> object:
        try:
            return parse(text, fmt)
        except ParseError as e:
            return e
    return run


def human(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e3:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200, help="runs per small case")
    args = ap.parse_args()
    kb100, mb1 = garbage(100_000), garbage(1_000_000, 1)
    print("| format | typical answer | 3 calls | broken, repaired | 100 kB garbage | 1 MB garbage |")
    print("|---|---|---|---|---|---|")
    for fmt in FORMATS:
        three = render(THREE, fmt)
        cells = [timed(attempt(TYPICAL[fmt], fmt), args.repeat),
                 timed(attempt(three, fmt), args.repeat),
                 timed(attempt(BROKEN[fmt], fmt), args.repeat),
                 timed(attempt(kb100, fmt), 5),
                 timed(attempt(mb1, fmt), 3)]
        for text in (TYPICAL[fmt], three, BROKEN[fmt]):
            parse(text, fmt)  # each must parse, or the figure means nothing
        print(f"| {fmt} | " + " | ".join(human(c) for c in cells) + " |")
    worst = {"1 MB of '{'": "{" * 1_000_000, "1 MB of '<tool_call>{'": "<tool_call>{" * 90_909,
             "1 MB inside type(content='": "Action: type(content='" + "it's " * 200_000,
             "1 MB of nested quotes": '{"action": "' + 'x"' * 500_000}
    print()
    print("| worst shapes (auto-detected) | time |")
    print("|---|---|")
    for name, text in worst.items():
        print(f"| {name} | {human(timed(attempt(text, 'auto'), 3))} |")


if __name__ == "__main__":
    main()
