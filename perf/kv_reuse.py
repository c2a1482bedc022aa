"""Prefilled tokens and step time over a phone episode, with and without KV-cache reuse.

    python -m vagent.perf.kv_reuse [--steps 10] [--keep 1 3] [--window 0 3] [--model DIR --format NAME]
    python -m vagent.perf.kv_reuse --ratios [vagent-tiny qwen2vl qwen25vl uitars] [--steps 30]

Default model: the bundled tiny policy (its own layout, ``keep_images`` overridden). The
episode: drawn 1080×2400 phone screens (a new one each step, as ``perf/policy_step.py``) and the
model's own answers fed back as its history, so the prompts grow and rewrite as in a real run.
Both runs see the same contexts; the table says whether their answers are identical.

Columns per ``keep_images``: prompt tokens summed over the steps; tokens that differ from the
previous step's prompt plus answer (measured here from the processor's output: the longest
shared prefix, cut before the first image that differs); tokens prefilled with reuse (the
policy's ``prefill_len``); the saving (prompt ÷ prefilled); mean step time and CPU time without
and with reuse. ``--window K`` adds runs with the reuse-friendly layout option
``image_window=K`` (0: the trained layout).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from vagent.perf.policy_step import phone_screen

ROOT = Path(__file__).resolve().parents[1]

TASK = "find restaurants in San Diego and open the first one"


def contexts_and_answers(policy: Any, steps: int) -> list[tuple[Any, Any]]:
    from vagent.actions import get_space
    from vagent.actions.context import Context, StepView

    space = get_space("mobile").with_screen(1080, 2400)
    views: list[StepView] = []
    out = []
    for step in range(steps):
        shot = phone_screen(step)
        ctx = Context(task=TASK, space=space, screen=(1080, 2400), step=step, steps=list(views),
                      observation={"screenshot": shot, "text": ""})
        t, c = time.perf_counter(), time.process_time()
        d = policy.act(ctx)
        d.timings["wall"], d.timings["cpu"] = time.perf_counter() - t, time.process_time() - c
        out.append((ctx, d))
        views.append(StepView(step=step, raw=d.raw, thought=d.thought, calls=d.calls,
                              error=d.error, screenshot=shot))
    return out


def differing(policy: Any, ctxs: list[Any], answers: list[str]) -> list[int]:
    """Per step: prompt tokens minus those shared with the previous prompt + answer."""
    from vagent.policies.kvcache import Entry, image_digests

    out, prev = [], None
    for ctx, answer in zip(ctxs, answers):
        messages, images = policy.chat_messages(policy.build_prompt(ctx))
        text = policy.processor.apply_chat_template(messages, add_generation_prompt=True,
                                                    tokenize=False)
        inputs = policy.processor(text=[text], images=images or None, return_tensors="pt")
        ids = inputs["input_ids"][0].tolist()
        digests = image_digests(inputs.get("pixel_values"), inputs.get("image_grid_thw"))
        shared = prev.shared(ids, digests, policy._image_token) if prev else 0
        out.append(len(ids) - shared)
        said = policy.tokenizer(answer, add_special_tokens=False)["input_ids"]
        prev = Entry(ids=ids + said, images=digests, cache=None)
    return out


def ratios(fmt: str, keep: int, steps: int, window: int = 0) -> tuple[int, int]:
    """(prompt tokens, tokens differing from the previous prompt + answer) summed over an
    episode whose answers are written, not generated: a click on a different point each step
    in the format's own syntax. Only the processor runs, so long episodes cost little."""
    from vagent import policies
    from vagent.actions import get_space
    from vagent.actions.context import Context, StepView
    from vagent.actions.parsing import render
    from vagent.policies.tiny import cached_tiny_checkpoint

    opts = {"keep_images": keep, "image_window": window or None}
    if fmt == "vagent-tiny":  # the bundled model's own layout and settings
        policy = policies.make("tiny", **opts)
    else:
        family = "qwen25vl" if fmt == "qwen25vl" else "qwen2vl"
        path = cached_tiny_checkpoint(ROOT / ".cache" / "tiny-models", family)  # type: ignore[arg-type]
        policy = policies.make("qwen-vl", model=str(path), format=fmt, **opts)
    space = get_space("mobile").with_screen(1080, 2400)
    frame = policy.frame()
    views: list[StepView] = []
    ctxs, answers = [], []
    for step in range(steps):
        shot = phone_screen(step)
        ctx = Context(task=TASK, space=space, screen=(1080, 2400), step=step, steps=list(views),
                      observation={"screenshot": shot, "text": ""})
        call = {"action": "click", "x": 100 + 37 * step % 800, "y": 200 + 91 * step % 700}
        raw = render(space.validate(call), policy.fmt.parser, frame)
        ctxs.append(ctx)
        answers.append(raw)
        parsed = policy.parse(raw, ctx)
        views.append(StepView(step=step, raw=raw, thought=parsed.thought, calls=parsed.calls,
                              screenshot=shot))
    differ = differing(policy, ctxs, answers)
    prompt = 0
    for ctx in ctxs:
        messages, images = policy.chat_messages(policy.build_prompt(ctx))
        text = policy.processor.apply_chat_template(messages, add_generation_prompt=True,
                                                    tokenize=False)
        prompt += len(policy.processor(text=[text], images=images or None,
                                       return_tensors="pt")["input_ids"][0])
    policy.close()
    return prompt, sum(differ)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m vagent.perf.kv_reuse")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--keep", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--window", type=int, nargs="+", default=[0],
                    help="image_window values to compare (0: the trained layout)")
    ap.add_argument("--model", default=None, help="a checkpoint folder (default: the bundled)")
    ap.add_argument("--format", default=None)
    ap.add_argument("--max-new-tokens", type=int, default=None)
    ap.add_argument("--ratios", nargs="*", metavar="FORMAT", default=None,
                    help="only the reuse ratios of these formats (qwen2vl qwen25vl uitars), "
                         "with written answers and no generation")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch's intra-op threads (two contend badly on a loaded 2-core machine)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.torch_threads)
    if args.ratios is not None:
        print(f"{args.steps} steps, 1080x2400 screens, answers written (a click per step)")
        print("| format | keep_images | image_window | prompt tokens | differ from previous "
              "| saving |")
        print("|---|---:|---:|---:|---:|---:|")
        for fmt in args.ratios or ["vagent-tiny", "qwen2vl", "qwen25vl", "uitars"]:
            for keep in args.keep:
                for window in args.window:
                    prompt, differ = ratios(fmt, keep, args.steps, window)
                    print(f"| {fmt} | {keep} | {window or '-'} | {prompt} | {differ} | "
                          f"{prompt / differ:.2f}× |", flush=True)
        return

    from vagent import policies

    name, opts = ("qwen-vl", {"model": args.model}) if args.model else ("tiny", {})
    if args.format:
        opts["format"] = args.format
    if args.max_new_tokens:
        opts["max_new_tokens"] = args.max_new_tokens
    print(f"policy {name} {args.model or '(bundled)'}, {args.steps} steps, 1080x2400 screens")
    print("| keep_images | image_window | prompt tokens | differ from previous | prefilled with "
          "reuse | saving | step s (full → reuse) | CPU s (full → reuse) | same answers |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for keep, window in [(k, w) for k in args.keep for w in args.window]:
        layout = {"keep_images": keep, "image_window": window or None}
        full = policies.make(name, **opts, **layout)
        reuse = policies.make(name, **opts, **layout, kv_reuse=True)
        a = contexts_and_answers(full, args.steps)
        b = contexts_and_answers(reuse, args.steps)
        same = [d.raw for _, d in a] == [d.raw for _, d in b]
        prompt = sum(int(d.timings["prompt_len"]) for _, d in b)
        prefilled = sum(int(d.timings["prefill_len"]) for _, d in b)
        differ = sum(differing(full, [c for c, _ in a], [d.raw for _, d in a]))

        def mean(run: list[tuple[Any, Any]], key: str) -> float:
            return statistics.mean(d.timings[key] for _, d in run[1:] or run)

        print(f"| {keep} | {window or '-'} | {prompt} | {differ} | {prefilled} | "
              f"{prompt / prefilled:.2f}× | "
              f"{mean(a, 'wall'):.3f} → {mean(b, 'wall'):.3f} | "
              f"{mean(a, 'cpu'):.3f} → {mean(b, 'cpu'):.3f} | {'yes' if same else 'NO'} |",
              flush=True)
        full.close()
        reuse.close()


if __name__ == "__main__":
    main()
