"""The local policy's speed paths give the answers of the plain path: batched rows equal the same
rows alone, a reused KV cache equals a full prefill, token for token (greedy, the tiny random
checkpoints, whose near-flat logits turn any wrong position or stale key into other tokens)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vagent import policies
from vagent.actions import get_space
from vagent.actions.context import Context, StepView
from vagent.policies.batching import Batcher
from vagent.policies.kvcache import Entry, PrefixCache, image_runs

FIXTURES = ["tiny_qwen2vl", "tiny_qwen25vl"]
SMALL = {"min_pixels": 4 * 28 * 28, "max_pixels": 64 * 28 * 28, "max_new_tokens": 10}


def screen(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (400, 640, 3), dtype=np.uint8)


def context(task: str, step: int, views: list[StepView]) -> Context:
    return Context(task=task, space=get_space("mobile").with_screen(640, 400), screen=(640, 400),
                   step=step, steps=list(views), observation={"screenshot": screen(hash(task) % 97
                                                                              + step),
                                                              "text": ""})


def episode(policy: policies.Policy, task: str, steps: int) -> list[tuple[str, dict]]:
    """(raw answer, timings) of each step of an episode fed its own answers back."""
    views: list[StepView] = []
    out = []
    for step in range(steps):
        ctx = context(task, step, views)
        d = policy.act(ctx)
        out.append((d.raw, d.timings))
        views.append(StepView(step=step, raw=d.raw, thought=d.thought, calls=d.calls,
                              error=d.error, screenshot=ctx.observation["screenshot"]))
    return out


# -- batching -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", FIXTURES)
def test_concurrent_calls_meet_in_one_batch_with_the_answers_of_single_calls(
        fixture: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(fixture)
    tasks = ["open the clock app", "find restaurants in San Diego near the beach",
             "call mum", "turn on wifi"]
    alone = policies.make("qwen-vl", model=str(path), **SMALL)
    single = [alone.act(context(t, 0, [])).raw for t in tasks]
    assert alone._batcher.sizes == [1, 1, 1, 1]

    together = policies.make("qwen-vl", model=str(path), batch_wait_ms=10_000, **SMALL)
    together.act(context("warm up", 0, []))  # one thread seen; now four arrive
    answers: dict[int, str] = {}
    barrier = threading.Barrier(len(tasks))

    def work(i: int) -> None:
        barrier.wait()
        answers[i] = together.act(context(tasks[i], 0, [])).raw

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(tasks))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    assert [answers[i] for i in range(len(tasks))] == single
    assert max(together._batcher.sizes) > 1  # some of them did share a generate
    before = len(together._batcher.sizes)
    assert [d.raw for d in together.act_batch([context(t, 0, []) for t in tasks])] == single
    assert max(together._batcher.sizes[before:]) > 1


@pytest.mark.parametrize("fixture", FIXTURES)
def test_rows_prepared_one_by_one_collate_into_the_processors_batch(
        fixture: str, request: pytest.FixtureRequest) -> None:
    """Each caller runs the processor on its own row; the batch pads and concatenates. That
    must be exactly the processor's own batch (left padding), rows without images included."""
    import torch
    from PIL import Image
    from transformers import AutoProcessor

    from vagent.policies.qwen_local import collate

    processor = AutoProcessor.from_pretrained(request.getfixturevalue(fixture))
    processor.tokenizer.padding_side = "left"
    pad = "<|vision_start|><|image_pad|><|vision_end|>"
    shots = [Image.fromarray(screen(i)) for i in range(4)]
    rows = [(f"{pad}open the clock app", [shots[0]]), ("no picture in this one at all", []),
            (f"{pad}then {pad}two pictures", [shots[1], shots[2]]), (f"{pad}x", [shots[3]])]
    one_by_one = [dict(processor(text=[t], images=ims or None, return_tensors="pt"))
                  for t, ims in rows]
    batch = collate(one_by_one, processor.tokenizer.pad_token_id)
    whole = processor(text=[t for t, _ in rows], images=[im for _, ims in rows for im in ims],
                      padding=True, return_tensors="pt")
    assert list(batch) == list(whole)
    for key in whole:
        assert torch.equal(batch[key], whole[key]), key
    with pytest.raises(ValueError, match="cannot batch"):
        collate([{"input_ids": torch.zeros(1, 2), "odd": 1}] * 2, 0)


def test_batcher_hands_each_caller_its_own_result_and_errors() -> None:
    seen: list[list[int]] = []

    def run(items: list[int]) -> list[int]:
        seen.append(list(items))
        if 13 in items:
            raise ValueError("thirteen")
        return [i * 10 for i in items]

    b = Batcher(run, max_batch=3, wait=5.0)
    assert b(1) == 10  # a lone caller: nobody to wait for
    results: dict[int, object] = {}
    barrier = threading.Barrier(6)

    def call(i: int) -> None:
        barrier.wait()
        try:
            results[i] = b(i)
        except ValueError as e:
            results[i] = str(e)

    threads = [threading.Thread(target=call, args=(i,)) for i in (2, 3, 4, 5, 6, 7)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert results == {i: i * 10 for i in (2, 3, 4, 5, 6, 7)}
    assert all(len(s) <= 3 for s in seen) and max(len(s) for s in seen[1:]) > 1
    with pytest.raises(ValueError, match="thirteen"):
        b(13)
    with pytest.raises(ValueError):
        Batcher(run, max_batch=0)


def test_a_batch_waits_for_a_row_announced_as_being_prepared() -> None:
    seen: list[list[str]] = []
    b = Batcher(lambda items: seen.append(list(items)) or list(items), max_batch=4, wait=0.0)
    announced, results = threading.Event(), {}

    def slow() -> None:  # announces its row, prepares it for a while, then asks
        with b.preparing():
            announced.set()
            time.sleep(0.3)
            results["slow"] = b("slow")

    th = threading.Thread(target=slow)
    th.start()
    announced.wait(timeout=60)
    results["fast"] = b("fast")  # leads: nobody else has asked, but one row is on its way
    th.join(timeout=60)
    assert results == {"fast": "fast", "slow": "slow"}
    assert seen == [["fast", "slow"]]
    with b.preparing():  # an announcement withdrawn by an error leaves nothing behind
        pass
    assert b("alone") == "alone" and seen[-1] == ["alone"]


# -- KV cache reuse -----------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", FIXTURES)
@pytest.mark.parametrize("keep, window", [(1, None), (3, None), (3, 2)])
def test_reused_cache_gives_the_tokens_of_a_full_prefill(
        fixture: str, keep: int, window: int | None, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(fixture)
    layout = {"keep_images": keep, "image_window": window}
    full = policies.make("qwen-vl", model=str(path), **layout, **SMALL)
    reuse = policies.make("qwen-vl", model=str(path), kv_reuse=True, **layout, **SMALL)
    a = episode(full, "open the clock app", 5)
    b = episode(reuse, "open the clock app", 5)
    assert [raw for raw, _ in a] == [raw for raw, _ in b]
    assert [t["prompt_len"] for _, t in a] == [t["prompt_len"] for _, t in b]
    assert b[0][1]["prefill_len"] == b[0][1]["prompt_len"]  # nothing kept yet
    later = [t for _, t in b[1:]]
    assert all(t["prefill_len"] < t["prompt_len"] for t in later)
    assert sum(t["prefill_len"] for _, t in a) == sum(t["prompt_len"] for _, t in a)


def test_two_episodes_interleaved_each_find_their_own_cache(tiny_qwen2vl: Path) -> None:
    full = policies.make("qwen-vl", model=str(tiny_qwen2vl), keep_images=2, **SMALL)
    reuse = policies.make("qwen-vl", model=str(tiny_qwen2vl), keep_images=2, kv_reuse=True,
                          kv_entries=2, **SMALL)
    runs: dict[str, dict[str, list]] = {}
    for pol, name in ((full, "full"), (reuse, "reuse")):
        views: dict[str, list[StepView]] = {"a": [], "b": []}
        answers: dict[str, list] = {"a": [], "b": []}
        for step in range(3):
            for task in ("a", "b"):
                ctx = context(f"task {task}: open the clock app", step, views[task])
                d = pol.act(ctx)
                answers[task].append((d.raw, d.timings.get("prefill_len")))
                views[task].append(StepView(step=step, raw=d.raw, calls=d.calls, error=d.error,
                                            screenshot=ctx.observation["screenshot"]))
        runs[name] = answers
    for task in ("a", "b"):
        assert [r for r, _ in runs["full"][task]] == [r for r, _ in runs["reuse"][task]]
    assert len(reuse._prefix) <= 2
    # with room for both, each episode's later steps prefill less than the whole prompt
    assert runs["reuse"]["b"][2][1] < runs["full"]["b"][2][1]


def test_kv_entries_bound_the_kept_caches(tiny_qwen2vl: Path) -> None:
    reuse = policies.make("qwen-vl", model=str(tiny_qwen2vl), kv_reuse=True, kv_entries=1,
                          **SMALL)
    for task in ("one", "two", "three"):
        reuse.act(context(task, 0, []))
        assert len(reuse._prefix) == 1


def test_prefix_stops_before_the_first_image_that_differs() -> None:
    img = 7
    kept = Entry(ids=[1, 2, img, img, img, 3, 4, img, img, 5], images=[b"A", b"B"], cache=None)
    # same tokens, same first picture, another second picture: cut before the second
    assert kept.shared([1, 2, img, img, img, 3, 4, img, img, 5, 6], [b"A", b"C"], img) == 7
    assert kept.shared([1, 2, img, img, img, 3, 4, img, img, 5, 6], [b"A", b"B"], img) == 10
    assert kept.shared([1, 2, img, img, img, 9], [b"X"], img) == 2
    # the tokens part inside an image (another size): not inside the image
    assert kept.shared([1, 2, img, img, 8], [b"A"], img) == 2
    assert image_runs([img, 1, img, img], img) == [(0, 1), (2, 4)]

    cache = PrefixCache(capacity=2)
    cache.put(kept)
    entry, n = cache.take([1, 2, img, img, img, 3, 4, img, img, 5], [b"A", b"B"], img)
    assert entry is kept and n == 9  # one token is always left to prefill
    assert len(cache) == 0 and cache.take([1], [], img) == (None, 0)


def test_loading_shows_one_line_without_progress_bars(tiny_qwen2vl: Path) -> None:
    import subprocess
    import sys

    code = ("from vagent import policies; "
            f"policies.make('qwen-vl', model={str(tiny_qwen2vl)!r}).close()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("loading ") and " done in " in lines[0]
    assert "\r" not in done.stderr and "%|" not in done.stderr


def test_gpu_settings_run_on_the_cpu(tiny_qwen2vl: Path) -> None:
    """bf16, device_map="auto" and another attention kernel, through every speed path at once
    (what only a GPU can check — flash attention, speed, bf16 agreement — is in the docs)."""
    pytest.importorskip("xgrammar")
    pol = policies.make("qwen-vl", model=str(tiny_qwen2vl), dtype="bfloat16", device="auto",
                        attn="eager", kv_reuse=True, constrain=True, keep_images=2,
                        **{**SMALL, "max_new_tokens": 200})
    assert pol.describe()["dtype"] == "bfloat16" and pol.model.dtype.is_floating_point
    steps = episode(pol, "open the clock app", 3)
    views_ok = [raw for raw, _ in steps]
    assert all(raw.startswith("✿FUNCTION✿: ") for raw in views_ok)
    assert steps[2][1]["prefill_len"] < steps[2][1]["prompt_len"]
    with pytest.raises(Exception, match="(?i)flash ?attention"):
        policies.make("qwen-vl", model=str(tiny_qwen2vl), attn="flash_attention_2")
