"""Byte-equality with the reference packages: for the fixed 3-step episode (a GUI call, a
custom tool with its result, a failed step), phone and desktop, the chat-template text the
project sends equals the text the reference package renders for the same conversation.

The reference side is written here by hand in the reference's own terms — a Qwen-Agent
conversation handed to Qwen-Agent's function-calling LLM, the ui-tars prompt template with the
layout of UI-TARS's released example — so a change of layout on the project's side fails.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jinja2
import pytest

from fixtures.episode import GUI_CALL, TASKS, WEATHER, context, space_of
from vagent.actions.coords import from_screen
from vagent.policies import formats
from vagent.policies.history import HistoryConfig, ImagePart, build
from vagent.policies.tiny import CHAT_TEMPLATE

if os.environ.get("CI") == "true":  # CI installs vagent[dev]: a missing package is a failure
    import qwen_agent  # noqa: F401
    import ui_tars  # noqa: F401
else:
    pytest.importorskip("qwen_agent", reason="pip install 'vagent[formats]'")
    pytest.importorskip("ui_tars", reason="pip install 'vagent[formats]'")


def chat_text(messages: list[dict[str, Any]]) -> str:
    """Messages through a Qwen2-VL chat template (the tiny checkpoints' copy of its behaviour)."""
    return jinja2.Template(CHAT_TEMPLATE).render(messages=messages, add_generation_prompt=True)


def project_text(fmt: str, kind: str, keep: int = 3, task: str | None = None) -> str:
    f = formats.get(fmt)
    prompt = build(context(kind, f.frame(), keep, task), f, HistoryConfig(keep_images=keep))
    # what the local policy hands to apply_chat_template (and the openai policy sends)
    messages = [{"role": m.role, "content": [
        {"type": "image"} if isinstance(p, ImagePart) else {"type": "text", "text": p}
        for p in m.parts if p != ""]} for m in prompt.messages]
    return chat_text(messages)


# -- Qwen-Agent ------------------------------------------------------------------------------
def qwen_agent_text(messages: list[dict[str, Any]], functions: list[dict[str, Any]],
                    fncall: str) -> str:
    """What Qwen-Agent's function-calling LLM sends for this conversation, through the chat
    template."""
    from qwen_agent.llm.function_calling import BaseFnCallModel
    from qwen_agent.llm.schema import Message

    class Recorder(BaseFnCallModel):
        support_multimodal_input = property(lambda self: True)

        def _chat_no_stream(self, messages, generate_cfg):  # noqa: ANN001, ANN202
            self.sent = messages
            return [Message(role="assistant", content="")]

        def _chat_stream(self, messages, delta_stream, generate_cfg):  # noqa: ANN001, ANN202
            raise NotImplementedError

    llm = Recorder({"model": "x", "generate_cfg": {"fncall_prompt_type": fncall,
                                                   "max_input_tokens": -1}})
    llm.chat(messages=messages, functions=functions, stream=False)
    out = []
    for m in llm.sent:
        content = [{"type": "image"} if item.image else {"type": "text", "text": item.text}
                   for item in m.content if item.image or item.text]
        out.append({"role": m.role, "content": content})
    return chat_text(out)


def gui_args(fmt: str, kind: str) -> tuple[str, dict[str, Any]]:
    """Step 0's GUI call as the cookbooks' tool takes it (written out by hand)."""
    w, h = TASKS[kind][2]
    tool = "mobile_use" if kind == "phone" else "computer_use"
    verb = "click" if kind == "phone" else "left_click"
    px = GUI_CALL[kind]
    if fmt == "qwen2vl":
        x, y = round(px["x"] / w * 1000), round(px["y"] / h * 1000)
        return tool, {"action": verb, "coordinate": f"<|box_start|>({x},{y}),({x},{y})<|box_end|>"}
    f = formats.get(fmt)
    call = from_screen(space_of(kind).validate(px), f.frame(), w, h).dump()
    return tool, {"action": verb, "coordinate": [call["x"], call["y"]]}


def reference_messages(fmt: str, kind: str, task: str) -> list[dict[str, Any]]:
    tool, args = gui_args(fmt, kind)
    return [
        {"role": "user", "content": [{"text": task}]},  # step 0's screenshot is no longer shown
        {"role": "assistant", "content": [{"text": "Open the menu."}]},
        {"role": "assistant", "content": [], "function_call": {
            "name": tool, "arguments": json.dumps(args, ensure_ascii=False)}},
        {"role": "function", "name": tool, "content": [{"image": "step_001.png"}]},
        {"role": "assistant", "content": [{"text": "Check the weather first."}]},
        {"role": "assistant", "content": [], "function_call": {
            "name": "get_weather", "arguments": '{"city": "San Diego"}'}},
        {"role": "function", "name": "get_weather",
         "content": [{"text": WEATHER}, {"image": "step_002.png"}]},
        {"role": "assistant", "content": [{"text": "I will type."}]},
        {"role": "user", "content": [{"text": "That step failed: no call found in the output"},
                                     {"image": "step_003.png"}]},
    ]


@pytest.mark.parametrize("kind", sorted(TASKS))
@pytest.mark.parametrize(("fmt", "fncall"), [("qwen2vl", "qwen"), ("qwen25vl", "nous")])
def test_qwen_formats_equal_qwen_agent(fmt: str, fncall: str, kind: str) -> None:
    task = TASKS[kind][0]
    f = formats.get(fmt)
    w, h = TASKS[kind][2]
    functions = f.functions(space_of(kind), (w, h), f.frame())
    ours = project_text(fmt, kind)
    ref = qwen_agent_text(reference_messages(fmt, kind, task), functions, fncall)
    assert ours == ref
    assert ours.count("<|image_pad|>") == 3
    if fmt == "qwen2vl":
        assert "✿RESULT✿: " + WEATHER in ours and "## You have access" in ours


def test_qwen2vl_chinese_task_gets_the_chinese_template() -> None:
    task = "在美团上找圣地亚哥的餐厅"
    f = formats.get("qwen2vl")
    functions = f.functions(space_of("phone"), TASKS["phone"][2], f.frame())
    ours = project_text("qwen2vl", "phone", task=task)
    assert ours == qwen_agent_text(reference_messages("qwen2vl", "phone", task), functions, "qwen")
    assert "# 工具" in ours and "（上传了" in ours


# -- ui-tars ---------------------------------------------------------------------------------
#: The lines the project adds to the action space for what the grammar lacks (documented).
EXTRA = {
    ("uitars15", "phone"): ["key(keys='') # Press one key, or a chord of keys held together "
                            "(``[\"ctrl\", \"c\"]``).",
                            "wait(seconds='') # Do nothing for a while so the screen can settle."],
    ("uitars", "phone"): ["key(keys='') # Press one key, or a chord of keys held together "
                          "(``[\"ctrl\", \"c\"]``).",
                          "open_app(app_name='')",
                          "wait(seconds='') # Do nothing for a while so the screen can settle."],
}
WEATHER_LINE = "get_weather(city='') # The current weather in a city."


def step0_text(fmt: str, kind: str) -> str:
    """Step 0's answer as a server returns it (v1: special tokens stripped)."""
    w, h = TASKS[kind][2]
    px = GUI_CALL[kind]
    if fmt == "uitars":
        x, y = round(px["x"] / w * 1000), round(px["y"] / h * 1000)
        return f"Thought: Open the menu.\nAction: click(start_box='({x},{y})')"
    f = formats.get(fmt)
    call = from_screen(space_of(kind).validate(px), f.frame(), w, h).dump()
    return f"Thought: Open the menu.\nAction: click(point='<point>{call['x']} {call['y']}</point>')"


def uitars_reference(fmt: str, kind: str) -> str:
    """The ui-tars template filled as its README does, and the released example's layout:
    instruction, then (screenshot, answer) per step for the last images, then the screenshot."""
    from ui_tars import prompt

    template = prompt.MOBILE_USE_DOUBAO if kind == "phone" else prompt.COMPUTER_USE_DOUBAO
    head, rest = template.split("\n\n\n## Note")
    if fmt == "uitars":
        from vagent.policies.formats.uitars import V1_ACTIONS

        head = head.split("## Action Space\n\n")[0] + "## Action Space\n\n" + "\n".join(
            V1_ACTIONS["mobile" if kind == "phone" else "computer"])
    extra = [*EXTRA.get((fmt, kind), []), WEATHER_LINE]
    if kind == "desktop":
        extra = ["move(x='', y='') # Move the mouse pointer without pressing.", WEATHER_LINE]
    instruction = (head + "\n" + "\n".join(extra) + "\n\n\n## Note" + rest).format(
        language="English", instruction=TASKS[kind][0])
    step0 = step0_text(fmt, kind)
    if fmt == "uitars":  # the box tokens a server stripped are put back
        step0 = step0.replace("='(", "='<|box_start|>(").replace(")')", ")<|box_end|>')")
    image = {"type": "image"}
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "You are a helpful assistant."}]},
        {"role": "user", "content": [{"type": "text", "text": instruction}]},
        {"role": "assistant", "content": [{"type": "text", "text": step0}]},
        {"role": "user", "content": [image]},
        {"role": "assistant", "content": [{"type": "text", "text": "(model text 1)"}]},
        {"role": "user", "content": [{"type": "text", "text": f"Result of get_weather: {WEATHER}"}]},
        {"role": "user", "content": [image]},
        {"role": "assistant", "content": [{"type": "text", "text": "I will type."}]},
        {"role": "user", "content": [{"type": "text", "text": "That step failed: no call found "
                                                              "in the output"}]},
        {"role": "user", "content": [image]},
    ]
    return chat_text(messages)


@pytest.mark.parametrize("kind", sorted(TASKS))
@pytest.mark.parametrize("fmt", ["uitars", "uitars15"])
def test_uitars_formats_equal_the_ui_tars_templates(fmt: str, kind: str) -> None:
    f = formats.get(fmt)
    ctx = context(kind, f.frame(), 3)
    ctx.steps[0].raw = step0_text(fmt, kind)
    prompt = build(ctx, f, HistoryConfig(keep_images=3))
    messages = [{"role": m.role, "content": [
        {"type": "image"} if isinstance(p, ImagePart) else {"type": "text", "text": p}
        for p in m.parts if p != ""]} for m in prompt.messages]
    ours = chat_text(messages)
    assert ours == uitars_reference(fmt, kind)


def test_uitars_instruction_is_the_package_template_when_the_grammar_covers_the_space() -> None:
    from ui_tars import prompt

    from vagent.actions import ActionSpace, get_space

    mobile = get_space("mobile")
    f = formats.get("uitars15")
    names = [n for n in mobile.names if n not in ("key", "wait")]
    space = ActionSpace("m", [mobile.models[n] for n in names])
    assert f.instruction("do it", space) == prompt.MOBILE_USE_DOUBAO.format(
        language="English", instruction="do it")
    assert "Use Chinese" in f.instruction("打开地图", space)


def test_qwen_agent_leaves_the_signals_alone() -> None:
    """Qwen-Agent's import hooks SIGTERM (into SystemExit) and SIGINT; after a qwen2vl prompt
    the process must still stop on a signal as before (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import signal\n"
            "from vagent.policies.formats.reference import qwen_agent_sent\n"
            "before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))\n"
            "qwen_agent_sent([{'role': 'user', 'content': [{'text': 'x'}]}], [], 'qwen')\n"
            "import qwen_agent.tools.code_interpreter  # the module that hooks them\n"
            "after = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))\n"
            "print(before == after)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.strip() == "True", out.stderr[-800:]
