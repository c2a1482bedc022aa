"""Golden prompts: each format's rendered conversation for a phone and a desktop task.

Set ``VAGENT_UPDATE_GOLDEN=1`` to rewrite the files after a deliberate prompt change, then read
the diff: the files are the prompts, as a model would see them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vagent.actions import get_space
from vagent.policies.history import HistoryConfig, ImagePart, build
from vagent.policies import formats
from vagent.actions.context import Context, StepView

GOLDEN = Path(__file__).parent / "golden"
TASKS = {
    "phone": ("find restaurants in San Diego", "mobile", (1080, 2400)),
    "desktop": ("open the file menu and save the document", "desktop", (1920, 1080)),
}


def render(messages) -> str:  # noqa: ANN001
    out = []
    for m in messages:
        out.append(f"=== {m.role}")
        for p in m.parts:
            out.append(f"[image {p.width}x{p.height}, {p.tokens} tokens]"
                       if isinstance(p, ImagePart) else p)
    return "\n".join(out) + "\n"


def context(kind: str, steps: list[StepView] | None = None) -> Context:
    task, space, (w, h) = TASKS[kind]
    shot = np.zeros((h, w, 3), np.uint8)
    return Context(task=task, space=get_space(space).with_screen(w, h), screen=(w, h),
                   observation={"screenshot": shot, "text": ""}, steps=steps or [],
                   step=len(steps or []))


@pytest.mark.parametrize("fmt", sorted(formats.FORMATS))
@pytest.mark.parametrize("kind", sorted(TASKS))
def test_golden_prompt(fmt: str, kind: str) -> None:
    prompt = build(context(kind), formats.get(fmt), HistoryConfig())
    text = render(prompt.messages)
    path = GOLDEN / f"prompt_{fmt}_{kind}.txt"
    if os.environ.get("VAGENT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}: run with VAGENT_UPDATE_GOLDEN=1 once"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", sorted(formats.FORMATS))
def test_golden_prompt_with_history(fmt: str) -> None:
    """Three earlier phone steps, two screenshots kept: step 0 is a line, steps 1–2 are turns
    (one with a tool result, one that failed), then the current screen and the instruction."""
    shot = np.zeros((2400, 1080, 3), np.uint8)
    steps = [
        StepView(step=0, thought="Open the maps app.", raw="(step 0 output)",
                 calls=[{"action": "open_app", "name": "Maps"}], screenshot=shot),
        StepView(step=1, thought="Tap the search bar.", raw="(step 1 output)",
                 calls=[{"action": "click", "x": 500, "y": 80}], screenshot=shot,
                 tool_results=[{"name": "get_weather", "result": "San Diego: 21 C"}]),
        StepView(step=2, raw="I will type.", error="no call found in the output", screenshot=shot),
    ]
    ctx = context("phone", steps)
    ctx = ctx.model_copy(update={"feedback": "type: field 'text' is required"})
    f = formats.get(fmt)
    prompt = build(ctx, f, HistoryConfig(keep_images=3))
    text = render(prompt.messages[1:])  # the system prompt is in the other golden files
    path = GOLDEN / f"history_{fmt}_phone.txt"
    if os.environ.get("VAGENT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert prompt.lines == 1 and len(prompt.images) == 3
    assert prompt.tokens <= prompt.budget
