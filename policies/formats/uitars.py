"""UI-TARS, two formats: ``uitars15`` (UI-TARS-1.5, on Qwen2.5-VL: ``<point>x y</point>`` in
pixels of the resized screenshot) and ``uitars`` (v1, on Qwen2-VL: box tokens in [0, 1000)).

The prompt is the ``ui-tars`` package's own template (``COMPUTER_USE_DOUBAO`` /
``MOBILE_USE_DOUBAO``), filled with the language and the task. v1's prompt ships in no package:
it is the same template with v1's action grammar in the "## Action Space" block (the facts of
UI-TARS's README_v1: box-token arguments, ``call_user()``, v1's mobile scroll from a start to an
end box); docs/models-and-formats.md lists what may still differ.

The layout is UI-TARS's released example and deployment code: the instruction turn, then per
step the screenshot (the last ``keep_images`` only) and the model's answer as an assistant turn,
then the current screenshot. A past answer whose box tokens a server stripped gets them back
(ui-tars' ``add_box_token``). What the reference has no place for is added as plain user text
after the step it belongs to: a tool's result, why a step failed, the environment's text, the
feedback on an unusable answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from vagent.actions import Frame

from vagent.policies import texts as P
from .base import Format, gui_kind
from .reference import uitars_add_box_token, uitars_template

if TYPE_CHECKING:
    from vagent.actions.space import ActionSpace
    from vagent.policies.history import Episode, Message

#: UI-TARS v1's action grammar (README_v1), by GUI kind.
V1_ACTIONS = {
    "computer": [
        "click(start_box='<|box_start|>(x1,y1)<|box_end|>')",
        "left_double(start_box='<|box_start|>(x1,y1)<|box_end|>')",
        "right_single(start_box='<|box_start|>(x1,y1)<|box_end|>')",
        "drag(start_box='<|box_start|>(x1,y1)<|box_end|>', "
        "end_box='<|box_start|>(x3,y3)<|box_end|>')",
        "hotkey(key='')",
        "type(content='') #If you want to submit your input, use \"\\n\" at the end of "
        "`content`.",
        "scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', "
        "direction='down or up or right or left')",
        "wait() #Sleep for 5s and take a screenshot to check for any changes.",
        "finished()",
        "call_user() # Submit the task and call the user when the task is unsolvable, or when "
        "you need the user's help.",
    ],
    "mobile": [
        "click(start_box='<|box_start|>(x1,y1)<|box_end|>')",
        "long_press(start_box='<|box_start|>(x1,y1)<|box_end|>', time='')",
        "type(content='')",
        "scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', "
        "end_box='<|box_start|>(x3,y3)<|box_end|>')",
        "press_home()",
        "press_back()",
        "finished(content='') # Submit the task regardless of whether it succeeds or fails.",
    ],
}
#: The project actions each grammar carries (the others of a space get a line of their own).
COVERS = {
    ("1.5", "mobile"): {"click", "long_press", "type", "scroll", "open_app", "swipe", "button",
                        "terminate"},
    ("1.5", "computer"): {"click", "drag", "key", "type", "scroll", "wait", "terminate"},
    ("1", "mobile"): {"click", "long_press", "type", "swipe", "button", "terminate"},
    ("1", "computer"): {"click", "drag", "key", "type", "scroll", "wait", "terminate"},
}
TEMPLATES = {"mobile": "MOBILE_USE_DOUBAO", "computer": "COMPUTER_USE_DOUBAO"}
#: Project actions v1's grammar lacks, offered with the line 1.5's grammar has for them, which is
#: also how the renderer writes them (actions/parsing/uitars.py).
SPELLED = {"open_app": "open_app(app_name='')"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPACE_BLOCK = re.compile(r"(## Action Space\n\n)(.*?)(\n\n\n## Note)", re.S)


class UITarsFormat(Format):
    """UI-TARS v1 (``uitars``); ``UITars15Format`` is 1.5."""

    name = "uitars"
    parser = "uitars"
    frame_kind = "rel1000"
    version = "1"
    layout = "turns"

    # -- the instruction turn ------------------------------------------------------------------
    def extra_lines(self, space: ActionSpace, kind: str, grammar: str) -> list[str]:
        """A line for each action or tool of the space the grammar does not carry (and whose
        name the grammar does not use for something else)."""
        covered = COVERS[(self.version, kind)] | set(re.findall(r"^(\w+)\(", grammar, re.M))
        lines = []
        for schema in space.schemas():
            if schema["name"] in covered:
                continue
            if schema["name"] in SPELLED:  # written as 1.5's grammar writes it (and answers do)
                lines.append(SPELLED[schema["name"]])
                continue
            params = ", ".join(f"{p}=''" for p in schema["parameters"].get("properties", {}))
            desc = " ".join(str(schema.get("description") or "").split())
            lines.append(f"{schema['name']}({params})" + (f" # {desc}" if desc else ""))
        return lines

    def action_lines(self, space: ActionSpace) -> list[str]:
        """The calls the instruction's "## Action Space" block offers, one per line, comments
        cut (what a constrained decoder holds the answer to: ``policies.constrain``)."""
        block = _SPACE_BLOCK.search(self.instruction("", space))
        lines = block.group(2).splitlines() if block else []
        return [line[:line.rfind(")") + 1] for line in lines if "(" in line]

    def instruction(self, task: str, space: ActionSpace) -> str:
        """The instruction turn (kept while the task and space stay: the budget fitting renders
        an episode several times, and the space's JSON schemas take ~10 ms each)."""
        key = (id(space), space, task)
        cached = self.__dict__.get("_instruction_cache")
        if cached is not None and cached[0][0] == key[0] and cached[0][1:] == key[1:]:
            return cached[1]
        text = self._instruction(task, space)
        self.__dict__["_instruction_cache"] = (key, text)
        return text

    def _instruction(self, task: str, space: ActionSpace) -> str:
        kind = gui_kind(space) or "computer"
        template = uitars_template(TEMPLATES[kind])
        if self.version == "1":
            template = _SPACE_BLOCK.sub(
                lambda m: m.group(1) + "\n".join(V1_ACTIONS[kind]) + m.group(3), template)
        block = _SPACE_BLOCK.search(template)
        extra = self.extra_lines(space, kind, block.group(2) if block else "")
        if extra:
            template = _SPACE_BLOCK.sub(lambda m: m.group(1) + m.group(2) + "\n"
                                        + "\n".join(extra) + m.group(3), template)
        language = "Chinese" if _CJK.search(task) else "English"
        return template.format(language=language, instruction=task)

    def system(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
               frame: Frame) -> str:
        return self.instruction(task, space)

    # -- the conversation ----------------------------------------------------------------------
    def answer_text(self, view: Any, frame: Frame) -> str:
        """A past answer as the model sees it again: its own text (box tokens put back), or
        its calls written in the grammar when there is no text."""
        from vagent.actions.parsing import render

        if view.raw:
            return uitars_add_box_token(view.raw) if self.version == "1" else view.raw
        if view.calls:
            try:
                return render(view.calls, self.parser, frame=frame, thought=view.thought)
            except Exception:  # noqa: BLE001 — unrenderable: say what was done
                pass
        return "(no output)"

    def conversation(self, ep: Episode) -> list[Message]:
        from vagent.policies.history import Message

        msgs = [Message("system", [ep.system if ep.system is not None else P.ASSISTANT]),
                Message("user", [self.instruction(ep.task, ep.space)])]
        for view in ep.steps:
            if view.step in ep.images:
                msgs.append(Message("user", [ep.images[view.step]]))
            msgs.append(Message("assistant", [self.answer_text(view, ep.frame)]))
            notes = [P.UITARS_RESULT.format(name=r.get("name"), result=r.get("result"))
                     for r in view.tool_results]
            if view.error:
                notes.append(P.STEP_ERROR.format(error=view.error))
            if notes:
                msgs.append(Message("user", ["\n".join(notes)]))
        current: list[Any] = [ep.images[ep.step]] if ep.step in ep.images else []
        texts = ([P.SCREEN_TEXT.format(text=ep.obs_text)] if ep.obs_text else []) + \
            ([P.FEEDBACK.format(error=ep.feedback)] if ep.feedback else [])
        if texts:
            current.append("\n".join(texts))
        if current:
            msgs.append(Message("user", current))
        return msgs

    def call_text(self, name: str, arguments: dict[str, Any] | str) -> str:
        raise NotImplementedError("UI-TARS has no function-calling form")

    def split_calls(self, raw: str) -> tuple[str, list[tuple[str, str]]]:
        return raw, []

    def describe(self) -> dict[str, Any]:
        from .reference import versions

        return {**super().describe(), "reference": {"ui-tars": versions()["ui-tars"]}}


class UITars15Format(UITarsFormat):
    """UI-TARS-1.5: ``<point>x y</point>`` in pixels of the resized screenshot."""

    name = "uitars15"
    frame_kind = "resized"
    version = "1.5"


__all__ = ["UITars15Format", "UITarsFormat"]
