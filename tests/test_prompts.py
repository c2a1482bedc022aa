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
from vagent.actions.context import Context

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
    """The fixed 3-step phone episode (fixtures.episode: a GUI call, a custom tool with its
    result, a failed step), three screenshots kept: step 0 without its image, steps 1–2 with,
    then the current screen."""
    from fixtures.episode import context as episode

    f = formats.get(fmt)
    ctx = episode("phone", f.frame(), 3)
    ctx = ctx.model_copy(update={"feedback": "type: field 'text' is required"})
    prompt = build(ctx, f, HistoryConfig(keep_images=3))
    text = render(prompt.messages[1:])  # the system prompt is in the other golden files
    path = GOLDEN / f"history_{fmt}_phone.txt"
    if os.environ.get("VAGENT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert prompt.lines == 1 and len(prompt.images) == 3
    assert prompt.tokens <= prompt.budget
