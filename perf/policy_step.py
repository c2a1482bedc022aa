"""Time of one policy step at phone size (1080×2400), split into its parts.

    python -m vagent.perf.policy_step [--steps 6] [--max-new-tokens 32] [--max-pixels N]

For the tiny local Qwen2-VL checkpoint (built into .cache/tiny-models on first use) it prints, per
step and on average: image preprocessing (the processor: resize, normalise, patches, tokenising),
prompt building (history within budget + chat template), generation, parsing, and the share of
the step that is not generation. Then the same split for the openai policy against the scripted
server on 127.0.0.1 (preprocessing there is the client-side resize and PNG data-URL encoding,
generation the HTTP round trip). The history grows step by step like a real episode.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("preprocess", "prompt", "generate", "parse")


def phone_screen(i: int) -> np.ndarray:
    """A drawn 1080×2400 screen with a list, text and an icon row (varies per step)."""
    img = Image.new("RGB", (1080, 2400), (250, 250, 250))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1080, 90), fill=(30, 30, 30))
    d.rounded_rectangle((40, 140, 1040, 260), radius=40, outline=(120, 120, 120), width=4)
    for row in range(14):
        y = 320 + row * 140
        d.rectangle((40, y, 1040, y + 120), fill=(255, 255, 255), outline=(220, 220, 220))
        d.ellipse((60, y + 20, 140, y + 100), fill=((37 * (row + i)) % 255, 120, 200))
        d.text((170, y + 45), f"Restaurant {row + i} — 4.{row % 10} stars", fill=(0, 0, 0))
    return np.asarray(img)


def run_steps(policy, steps: int, task: str) -> list[dict[str, float]]:  # noqa: ANN001
    from vagent.actions import get_space
    from vagent.actions.context import Context, StepView

    space = get_space("mobile").with_screen(1080, 2400)
    views: list[StepView] = []
    out = []
    for step in range(steps):
        shot = phone_screen(step)
        ctx = Context(task=task, space=space, screen=(1080, 2400), step=step, steps=list(views),
                      observation={"screenshot": shot, "text": ""})
        t = time.perf_counter()
        decision = policy.act(ctx)
        total = time.perf_counter() - t
        timings = {k: decision.timings.get(k, 0.0) for k in PARTS}
        timings["total"] = total
        # the processor's count for the local model; the history's estimate for the server
        timings["prompt_len"] = decision.timings.get("prompt_len") or \
            decision.timings.get("prompt_len_estimate", 0.0)
        timings["generated_len"] = decision.timings.get("generated_len", float("nan"))
        out.append(timings)
        views.append(StepView(step=step, raw=decision.raw, thought=decision.thought,
                              calls=decision.calls, error=decision.error, screenshot=shot))
    return out


def report(title: str, rows: list[dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"{'step':>4} {'prompt len':>10} {'new':>4} " + " ".join(f"{p + ' ms':>14}" for p in PARTS)
          + f" {'total ms':>10} {'not generation':>15}")
    for i, r in enumerate(rows):
        other = (r["total"] - r["generate"]) / r["total"]
        new = "-" if r["generated_len"] != r["generated_len"] else int(r["generated_len"])
        print(f"{i:>4} {int(r['prompt_len']):>10} {new:>4} "
              + " ".join(f"{1000 * r[p]:>14.1f}" for p in PARTS)
              + f" {1000 * r['total']:>10.1f} {100 * other:>14.1f}%")
    rest = rows[1:] or rows  # the first step pays one-time warm-up
    mean = {k: statistics.mean(r[k] for r in rest) for k in (*PARTS, "total")}
    other = (mean["total"] - mean["generate"]) / mean["total"]
    print(f"mean of steps 1..{len(rows) - 1}: "
          + ", ".join(f"{p} {1000 * mean[p]:.1f} ms" for p in PARTS)
          + f", total {1000 * mean['total']:.1f} ms; not generation: {100 * other:.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--max-pixels", type=int, default=None,
                    help="default: the checkpoint's own (1280·28²)")
    ap.add_argument("--keep-images", type=int, default=3)
    args = ap.parse_args()

    import torch

    from vagent import policies
    from vagent.policies.scripted_server import ScriptedServer
    from vagent.policies.tiny import cached_tiny_checkpoint

    torch.set_num_threads(max(1, torch.get_num_threads()))
    task = "find restaurants in San Diego"
    path = cached_tiny_checkpoint(ROOT / ".cache" / "tiny-models", "qwen2vl")
    opts = {"max_new_tokens": args.max_new_tokens, "keep_images": args.keep_images}
    if args.max_pixels:
        opts["max_pixels"] = args.max_pixels
    local = policies.make("qwen-vl", model=str(path), **opts)
    d = local.describe()
    print(f"tiny Qwen2-VL ({sum(p.numel() for p in local.model.parameters())} parameters), "
          f"{d['device']} {d['dtype']} {d['attn']}, torch threads {torch.get_num_threads()}, "
          f"pixels {d['min_pixels']}..{d['max_pixels']}, keep_images {args.keep_images}, "
          f"max_new_tokens {args.max_new_tokens}, screen 1080x2400")
    report("qwen-vl, tiny checkpoint (times in ms)", run_steps(local, args.steps, task))

    answer = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
              '"coordinate": [546, 700]}}\n</tool_call>')
    with ScriptedServer(lambda body: answer) as server:
        remote = policies.make("openai", api_base=server.url, model="scripted", **opts)
        report("openai policy, scripted server on 127.0.0.1 (times in ms)",
               run_steps(remote, args.steps, task))


if __name__ == "__main__":
    main()
