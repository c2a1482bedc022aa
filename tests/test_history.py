"""The history builder: exact image token costs, the budget, the order things give way, and the
append-only layout."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vagent.actions import get_space
from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
from vagent.policies.history import HistoryConfig, ImagePart, build
from vagent.policies import formats
from vagent.actions.context import Context, StepView

PHONE = (1080, 2400)


def views(n: int, shot: np.ndarray | None, raw: str = "") -> list[StepView]:
    return [StepView(step=i, thought=f"thinking about step {i}",
                     raw=raw or f"I tap the button number {i}.\n<tool_call>\n"
                                "{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", "
                                f"\"coordinate\": [{i}, {2 * i}]}}}}\n</tool_call>",
                     calls=[{"action": "click", "x": i, "y": 2 * i}], screenshot=shot)
            for i in range(n)]


def ctx(steps: list[StepView], shot: np.ndarray, screen: tuple[int, int] = PHONE,
        feedback: str | None = None) -> Context:
    return Context(task="find restaurants in San Diego",
                   space=get_space("mobile").with_screen(*screen), screen=screen,
                   observation={"screenshot": shot, "text": "home screen"}, steps=steps,
                   step=len(steps), feedback=feedback)


# (height, width) pairs: phones, desktops, odd sides, tiny images that are scaled up, long strips.
SIZES = [(2400, 1080), (1280, 720), (1080, 1920), (1440, 2560), (400, 640), (28, 28), (57, 29),
         (333, 777), (3000, 100), (123, 4567), (56, 56), (1001, 999), (3024, 4032)]


def test_image_tokens_equal_the_processors_count(tiny_qwen2vl) -> None:  # noqa: ANN001
    """The builder's count (from smart_resize, before any image is processed) equals the number
    of image pad tokens the checkpoint's own processor puts in input_ids."""
    from PIL import Image
    from transformers import AutoProcessor

    proc = AutoProcessor.from_pretrained(tiny_qwen2vl)
    pad = proc.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    text = "<|vision_start|><|image_pad|><|vision_end|>"
    size = proc.image_processor.size
    settings = [(size["shortest_edge"], size["longest_edge"]),
                (DEFAULT_MIN_PIXELS, 512 * 28 * 28)]
    checked = 0
    for lo, hi in settings:
        proc.image_processor.size = {"shortest_edge": lo, "longest_edge": hi}
        for h, w in SIZES:
            image = Image.fromarray(np.zeros((h, w, 3), np.uint8))
            ids = proc(text=[text], images=[image], return_tensors="pt")["input_ids"]
            expected = int((ids == pad).sum())
            assert ImagePart.of(np.asarray(image), lo, hi).tokens == expected, (h, w, lo, hi)
            checked += 1
    assert checked >= 20


def test_reference_sizes() -> None:
    """The figures of formats.md: 2400×1080 → 2408×1092 (3354 tokens) at the defaults, 1484×672
    (1272) at the model cards' range, 924×420 (495) at max 512·28²."""
    shot = np.zeros((2400, 1080, 3), np.uint8)
    a = ImagePart.of(shot, DEFAULT_MIN_PIXELS, DEFAULT_MAX_PIXELS)
    b = ImagePart.of(shot, 256 * 28 * 28, 1280 * 28 * 28)
    c = ImagePart.of(shot, DEFAULT_MIN_PIXELS, 512 * 28 * 28)
    assert (a.height, a.width, a.tokens) == (2408, 1092, 3354)
    assert (b.height, b.width, b.tokens) == (1484, 672, 1272)
    assert (c.height, c.width, c.tokens) == (924, 420, 495)


def test_fifty_steps_at_phone_size_stay_within_budget(tiny_qwen25vl) -> None:  # noqa: ANN001
    """50 steps of 1080×2400 screenshots with room for 30 images: the builder turns the oldest
    into lines until the prompt fits, and the checkpoint's processor agrees on the count."""
    from PIL import Image
    from transformers import AutoProcessor

    shot = np.random.default_rng(0).integers(0, 255, (2400, 1080, 3), dtype=np.uint8)
    cfg = HistoryConfig(max_tokens=32768, keep_images=30, reserve=256,
                        min_pixels=DEFAULT_MIN_PIXELS, max_pixels=1280 * 28 * 28)
    proc = AutoProcessor.from_pretrained(tiny_qwen25vl)
    proc.image_processor.size = {"shortest_edge": cfg.min_pixels, "longest_edge": cfg.max_pixels}
    count = lambda s: len(proc.tokenizer(s, add_special_tokens=False)["input_ids"])  # noqa: E731
    prompt = build(ctx(views(50, shot), shot), formats.get("qwen25vl"), cfg, count)
    assert prompt.tokens <= prompt.budget == 32768 - 256
    assert not prompt.over_budget
    assert 1 < len(prompt.images) < 30  # some images had to become lines
    assert prompt.lines == 50 - (len(prompt.images) - 1) and prompt.dropped == 0
    # Filling the budget: one more image would not have fitted.
    assert prompt.tokens + 1272 + 2 + 40 > prompt.budget

    # The real count, through the chat template and the processor, is within the budget too.
    messages, images = [], []
    for m in prompt.messages:
        content = []
        for p in m.parts:
            if isinstance(p, ImagePart):
                content.append({"type": "image"})
                images.append(Image.fromarray(p.array))
            else:
                content.append({"type": "text", "text": p})
        messages.append({"role": m.role, "content": content})
    text = proc.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids = proc(text=[text], images=images, return_tensors="pt")["input_ids"]
    assert ids.shape[1] <= prompt.tokens <= prompt.budget
    assert prompt.tokens - ids.shape[1] < 0.01 * prompt.tokens  # the estimate is nearly exact


def test_images_go_first_then_the_oldest_lines() -> None:
    """The project's layout (vagent-tiny): old steps become lines, then the oldest lines go."""
    shot = np.zeros((2400, 1080, 3), np.uint8)
    fmt = formats.get("vagent-tiny")
    roomy = build(ctx(views(10, shot), shot), fmt, HistoryConfig(keep_images=4))
    assert len(roomy.images) == 4 and roomy.lines == 7 and roomy.dropped == 0
    # A budget that holds the current image and some lines only.
    tight = build(ctx(views(200, shot), shot), fmt,
                  HistoryConfig(max_tokens=9000, keep_images=4, reserve=0))
    assert len(tight.images) == 1 and tight.dropped > 0 and tight.lines > 0
    assert tight.tokens <= 9000
    head = tight.messages[1].text
    assert f"({tight.dropped} earlier steps are not shown.)" in head
    assert f"Step {tight.dropped}:" in head and f"Step {tight.dropped - 1}:" not in head
    assert "Step 199:" in head  # the newest line stays
    # Nothing fits but the current image: the prompt says so instead of failing silently.
    over = build(ctx([], shot), fmt, HistoryConfig(max_tokens=2000, reserve=0))
    assert over.over_budget and over.notes


@pytest.mark.parametrize("name", ["qwen25vl", "uitars", "uitars15"])
def test_reference_layouts_give_way_images_first_then_the_oldest_steps(name: str) -> None:
    shot = np.zeros((2400, 1080, 3), np.uint8)
    fmt = formats.get(name)
    steps = views(40, shot)
    for v in steps[:-3]:
        v.screenshot = None  # the loop keeps the last screenshots only
    roomy = build(ctx(steps, shot), fmt, HistoryConfig(keep_images=4))
    assert len(roomy.images) == 4 and roomy.dropped == 0 and roomy.lines == 37
    # Room for the current image and some steps only: the newest steps stay.
    tight = build(ctx(steps, shot), fmt, HistoryConfig(max_tokens=5200, keep_images=4,
                                                      reserve=0))
    assert len(tight.images) == 1 and 0 < tight.dropped < 40
    assert tight.tokens <= 5200
    text = "\n".join(m.text for m in tight.messages)
    # (the Qwen formats show a past step's thought and call, UI-TARS its text)
    assert "thinking about step 39" in text or "button number 39" in text
    assert "thinking about step 0\n" not in text and "button number 0." not in text
    # One more step would not have fitted.
    assert build(ctx(steps[tight.dropped - 1:], shot), fmt, HistoryConfig(
        max_tokens=5200, keep_images=1, reserve=0)).dropped >= 1


#: Formats whose step t+1 prompt extends step t's. Qwen-Agent's ✿FUNCTION✿ rendering is not:
#: when the conversation ends in a tool result it folds the task and the whole assistant turn
#: into one user turn to continue it (simulate_response_completion_with_chat).
APPEND_ONLY = ["qwen25vl", "uitars", "uitars15", "vagent-tiny"]


def test_append_only_between_steps() -> None:
    """Step t+1's conversation starts with step t's, except the last message (the instruction)."""
    rng = np.random.default_rng(1)
    shots = [rng.integers(0, 255, (240, 108, 3), dtype=np.uint8) for _ in range(6)]
    cfg = HistoryConfig(keep_images=8)

    def steps(n: int) -> list[StepView]:
        out = views(n, None)
        for i, s in enumerate(out):
            s.screenshot = shots[i]  # the screenshot the model saw at that step
        return out

    for name in APPEND_ONLY:
        fmt = formats.get(name)
        for t in range(1, 5):
            before = build(ctx(steps(t), shots[t]), fmt, cfg)
            after = build(ctx(steps(t + 1), shots[t + 1]), fmt, cfg)
            keep = before.messages[:-1]
            assert len(after.messages) > len(before.messages)
            for a, b in zip(keep, after.messages):
                assert (a.role, a.text) == (b.role, b.text)
                assert [i.array is j.array for i, j in zip(a.images, b.images)] == \
                    [True] * len(a.images) and len(a.images) == len(b.images)


def test_feedback_tool_results_and_errors_reach_the_prompt() -> None:
    shot = np.zeros((400, 640, 3), np.uint8)
    steps = views(2, shot)
    steps[0].tool_results = [{"name": "get_weather", "result": "San Diego: 21 C, sunny"}]
    steps[1].error = "no call found in the output"
    for name, marker in (("qwen2vl", "✿RESULT✿: San Diego: 21 C, sunny"),
                         ("qwen25vl", "<tool_response>\nSan Diego: 21 C, sunny\n</tool_response>"),
                         ("uitars", "Result of get_weather: San Diego: 21 C, sunny")):
        fmt = formats.get(name)
        p = build(ctx(steps, shot, screen=(640, 400), feedback="click: field 'x' is required"),
                  fmt, HistoryConfig())
        texts = [(m.role, m.text) for m in p.messages]
        result_turns = [(r, t) for r, t in texts if marker in t]
        assert len(result_turns) == 1
        # Qwen-Agent continues the assistant turn with the result; the others answer as the user
        assert result_turns[0][0] == ("assistant" if name == "qwen2vl" else "user")
        assert any("That step failed: no call found" in t for _, t in texts)
        assert "click: field 'x' is required" in texts[-1][1]
        # the current screen is in one of the last two messages, the feedback last
        assert any(m.images for m in p.messages[-2:]) and p.messages[-1].role == "user"


@pytest.mark.parametrize("fmt", sorted(formats.FORMATS))
def test_frame_and_resolution_follow_pixels(fmt: str) -> None:
    f = formats.get(fmt)
    frame = f.frame(DEFAULT_MIN_PIXELS, 512 * 28 * 28)
    shot = np.zeros((2400, 1080, 3), np.uint8)
    p = build(ctx([], shot), f, HistoryConfig(max_pixels=512 * 28 * 28))
    system = p.messages[0].text + p.messages[1].text
    if fmt == "qwen25vl":  # the cookbooks' tool states the resized resolution
        assert frame.kind == "resized" and "420x924" in system
    elif fmt == "uitars15":  # UI-TARS-1.5's prompt states none: its points are the image's
        assert frame.kind == "resized" and "<point>x1 y1</point>" in system
    elif fmt == "uitars":
        assert frame.kind == "rel1000" and "<|box_start|>(x1,y1)<|box_end|>" in system
    else:
        assert frame.kind == "rel1000" and "[0, 1000)" in system
    assert p.images[0].width == 420 and p.images[0].height == 924


@pytest.mark.parametrize("name", APPEND_ONLY)
def test_image_window_evicts_a_window_at_a_time_and_appends_in_between(name: str) -> None:
    """With ``image_window=3`` (and 3 kept images) the past screenshots all become lines at
    steps 3, 6, ...; at every other step the conversation only grows at its end."""
    rng = np.random.default_rng(2)
    shots = [rng.integers(0, 255, (240, 108, 3), dtype=np.uint8) for _ in range(9)]
    fmt = formats.get(name)

    def prompt(t: int, window: int | None) -> Any:
        steps = views(t, None)
        for i, s in enumerate(steps):
            s.screenshot = shots[i]
        return build(ctx(steps, shots[t]), fmt, HistoryConfig(keep_images=3, image_window=window))

    assert [len(prompt(t, 3).images) for t in range(8)] == [1, 2, 3, 1, 2, 3, 1, 2]
    assert [len(prompt(t, None).images) for t in range(8)] == [1, 2, 3, 3, 3, 3, 3, 3]
    for t in (3, 4, 6, 7):
        before, after = prompt(t, 3), prompt(t + 1, 3)
        for a, b in zip(before.messages[:-1], after.messages):
            assert (a.role, a.text) == (b.role, b.text)
            assert len(a.images) == len(b.images)
            assert all(i.array is j.array for i, j in zip(a.images, b.images))
    # Without the option the layout is the trained one: the oldest image moves every step.
    before, after = prompt(4, None), prompt(5, None)
    assert any((a.role, a.text, len(a.images)) != (b.role, b.text, len(b.images))
               for a, b in zip(before.messages[:-1], after.messages))
