"""The bundled tiny model's prompt is frozen: it was trained on this exact text.

A fixed 3-step phone episode (a GUI call, a custom tool with its result, a failed step) is
rendered through ``--policy tiny``'s own path (BundledPolicy.build_prompt → the checkpoint's chat
template) and an oracle run through the bundled export (the path its training data takes). Both
must equal the golden files byte for byte; changing them means retraining the bundled model.
``VAGENT_UPDATE_GOLDEN=1`` rewrites them (only together with a retrained model).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from vagent.actions import get_space
from vagent.actions.context import Context, StepView
from vagent.policies.bundled import BUNDLED
from vagent.policies.history import ImagePart

GOLDEN = Path(__file__).parent / "golden"
TASK = "find restaurants in San Diego"

pytestmark = pytest.mark.skipif(not (BUNDLED / "config.json").exists(),
                                reason="the bundled model is not installed")


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("VAGENT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}: run with VAGENT_UPDATE_GOLDEN=1 once"
    assert text == path.read_text(encoding="utf-8")


def episode_contexts() -> list[Context]:
    """The contexts of steps 0..3 of the fixed episode, as the agent loop hands them over."""
    w, h = 1080, 2400
    shots = [np.full((h, w, 3), i * 40, np.uint8) for i in range(4)]
    space = get_space("mobile").with_screen(w, h)
    done = [
        StepView(step=0, thought="Open the maps app.",
                 raw="Open the maps app.\n✿FUNCTION✿: mobile_use\n✿ARGS✿: "
                     '{"action": "open", "text": "Maps"}',
                 calls=[{"action": "open_app", "name": "Maps"}], screenshot=shots[0]),
        StepView(step=1, thought="Check the weather first.",
                 raw='✿FUNCTION✿: get_weather\n✿ARGS✿: {"city": "San Diego"}',
                 calls=[{"action": "get_weather", "city": "San Diego"}], screenshot=shots[1],
                 tool_results=[{"name": "get_weather", "result": "San Diego: 21 C"}]),
        StepView(step=2, raw="I will type.", error="no call found in the output",
                 screenshot=shots[2]),
    ]
    out = []
    for t in range(4):
        views = [v.model_copy() for v in done[:t]]
        for v in views[:-1]:  # keep_images=1: only the current screenshot stays in memory
            v.screenshot = None
        if views:
            views[-1].screenshot = None
        out.append(Context(task=TASK, space=space, observation={"screenshot": shots[t],
                                                                  "text": ""},
                           steps=views, step=t, screen=(w, h)))
    return out


def test_tiny_policy_prompt_is_frozen() -> None:
    from vagent.policies.bundled import BundledPolicy

    policy = BundledPolicy()
    texts = []
    for ctx in episode_contexts():
        prompt = policy.build_prompt(ctx)
        messages, images = policy.chat_messages(prompt)
        text = policy.processor.apply_chat_template(messages, add_generation_prompt=True,
                                                    tokenize=False)
        sizes = [f"{p.width}x{p.height}" for p in prompt.images]
        texts.append(f"##### step {ctx.step} images={sizes} tokens={prompt.tokens}\n{text}")
    _check("tiny_policy_phone.txt", "\n".join(texts))


def test_tiny_export_is_frozen(tmp_path: Path) -> None:
    from vagent.training.bundled import export
    from vagent.training.datagen import generate

    generate("phone-sim", tmp_path / "runs", episodes=2, seed=5, progress=False,
             split="train-v1")  # the data the golden was made from (the first rounds')
    export([str(tmp_path / "runs")], tmp_path / "s.jsonl", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(rows) >= 3
    text = "\n".join(json.dumps({"messages": r["messages"],
                                 "images": [Path(p).name for p in r["images"]]},
                                ensure_ascii=False, indent=1) for r in rows)
    _check("tiny_export_phone.txt", text + "\n")
