"""What a prompt format is: the system prompt (the action space as tools), the coordinate frame,
how a tool's result goes back, how an old step reads as one line, and which parser reads replies.

Formats know nothing of models or HTTP; the local and the OpenAI-compatible policies both render
through them, and ``agent.history`` assembles their pieces into a conversation within budget.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from vagent.actions import Frame
from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, smart_resize
from vagent.actions.parsing import Parsed

from vagent.policies import texts as P

if TYPE_CHECKING:  # annotations only: the space's gymnasium base is not needed to render
    from vagent.actions.space import ActionSpace

GuiKind = Literal["mobile", "computer"]

# Which project actions each GUI tool covers, and under which of the tool's action names.
MOBILE_COVERS: dict[str, tuple[str, ...]] = {
    "click": ("click",), "long_press": ("long_press",), "swipe": ("swipe",), "type": ("type",),
    "key": ("key",), "button": ("system_button",), "open_app": ("open",), "wait": ("wait",),
    "terminate": ("terminate",),
}
COMPUTER_COVERS: dict[str, tuple[str, ...]] = {
    "click": ("left_click", "right_click", "middle_click", "double_click"),
    "move": ("mouse_move",), "drag": ("left_click_drag",), "scroll": ("scroll",),
    "type": ("type",), "key": ("key",), "wait": ("wait",), "terminate": ("terminate",),
}
_PHONE_ONLY = {"long_press", "swipe", "button", "open_app"}
_POINTER = {"click", "long_press", "swipe", "move", "drag", "scroll"}


def gui_kind(space: ActionSpace) -> GuiKind | None:
    """``mobile`` when the space has phone gestures, ``computer`` when it has a pointer, else
    None (a space of tools or game moves gets plain functions only)."""
    names = set(space.names)
    if names & _PHONE_ONLY:
        return "mobile"
    if names & _POINTER:
        return "computer"
    return None


def covers(kind: GuiKind | None) -> dict[str, tuple[str, ...]]:
    return {"mobile": MOBILE_COVERS, "computer": COMPUTER_COVERS}.get(kind or "", {})


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Format:
    """Base of the prompt formats. Subclasses set the class attributes and the renderers."""

    name: str = "format"
    parser: str = "json"  # an actions.parsing format name
    frame_kind: str = "pixels"
    stop: tuple[str, ...] = ()
    #: "assistant": a tool result continues the assistant turn (Qwen-Agent); "user": it comes
    #: back in a user turn (nous, UI-TARS).
    result_role: str = "user"
    #: "vagent": the project's layout (agent.history.build assembles the format's pieces);
    #: "turns": the format renders the whole conversation itself (``conversation``), as the
    #: reference package of its model family lays it out.
    layout: str = "vagent"

    # -- frame ---------------------------------------------------------------------------------
    def frame(self, min_pixels: int | None = None, max_pixels: int | None = None) -> Frame:
        return Frame(kind=self.frame_kind,  # type: ignore[arg-type]
                     min_pixels=min_pixels or DEFAULT_MIN_PIXELS,
                     max_pixels=max_pixels or DEFAULT_MAX_PIXELS)

    @staticmethod
    def resized(screen: tuple[int, int] | None, frame: Frame) -> tuple[int, int] | None:
        """(width, height) of the screen as the model sees it after smart_resize."""
        if screen is None:
            return None
        h, w = smart_resize(screen[1], screen[0], min_pixels=frame.min_pixels,
                            max_pixels=frame.max_pixels)
        return w, h

    # -- tools ---------------------------------------------------------------------------------
    def frame_note(self, screen: tuple[int, int] | None, frame: Frame) -> str:
        size = self.resized(screen, frame) or (0, 0)
        note = P.FRAME_NOTES.get(frame.kind, "")
        return note.format(width=size[0], height=size[1])

    def gui_tool(self, space: ActionSpace, screen: tuple[int, int] | None,
                 frame: Frame) -> dict[str, Any] | None:
        """The ``mobile_use`` / ``computer_use`` function for the GUI actions of ``space``."""
        kind = gui_kind(space)
        if kind is None:
            return None
        table = covers(kind)
        verbs = P.MOBILE_ACTIONS if kind == "mobile" else P.COMPUTER_ACTIONS
        present = [n for n in space.names if n in table]
        tool_actions = [a for n in present for a in table[n]]
        boxes = frame.kind == "rel1000"
        # The same argument names in both frames (as actions.parsing.render writes them); with
        # boxes their values are box-token strings instead of [x, y].
        p1, p2 = "coordinate", "coordinate2"
        lines = [f"* `{a}`: {verbs[a].format(p1=p1, p2=p2)}" for a in tool_actions]
        props: dict[str, Any] = {
            "action": {"description": "The action to perform:\n" + "\n".join(lines),
                       "enum": tool_actions, "type": "string"},
        }
        mobile = kind == "mobile"
        point = {"type": "string", "description": (P.PARAM_POINT_BOX if mobile
                                                    else P.PARAM_POINT_COMPUTER_BOX)} \
            if boxes else {"type": "array", "description": (P.PARAM_POINT_RESIZED if mobile
                                                            else P.PARAM_POINT_COMPUTER_RESIZED)}
        point2 = {"type": "string", "description": P.PARAM_POINT2_BOX} if boxes else \
            {"type": "array", "description": P.PARAM_POINT2_RESIZED}
        names = set(present)
        if names & _POINTER:
            props[p1] = point
        if "swipe" in names:  # computer_use's drag has one point: where it ends
            props[p2] = point2
        if kind == "computer" and "key" in names:
            props["keys"] = {"type": "array", "description": P.PARAM_KEYS}
        if names & ({"type", "open_app"} | ({"key"} if kind == "mobile" else set())):
            props["text"] = {"type": "string", "description": P.PARAM_TEXT}
        if "scroll" in names and kind == "computer":
            props["pixels"] = {"type": "number", "description": P.PARAM_PIXELS}
        if names & {"long_press", "wait"}:
            props["time"] = {"type": "number", "description": P.PARAM_TIME}
        if "button" in names:
            props["button"] = {"type": "string", "enum": ["Back", "Home", "Menu", "Enter"],
                               "description": P.PARAM_BUTTON}
        if "terminate" in names:
            props["status"] = {"type": "string", "enum": ["success", "failure"],
                               "description": P.PARAM_STATUS}
            props["answer"] = {"type": "string", "description": P.PARAM_ANSWER}
        template = P.MOBILE_DESCRIPTION if kind == "mobile" else P.COMPUTER_DESCRIPTION
        return {
            "name": P.MOBILE_TOOL if kind == "mobile" else P.COMPUTER_TOOL,
            "description": template.format(frame_note=self.frame_note(screen, frame)),
            "parameters": {"type": "object", "properties": props, "required": ["action"]},
        }

    def functions(self, space: ActionSpace, screen: tuple[int, int] | None,
                  frame: Frame) -> list[dict[str, Any]]:
        """Every function the model may call: the GUI tool, then each action or tool of the space
        that the GUI tool does not cover, with its own JSON schema."""
        gui = self.gui_tool(space, screen, frame)
        covered = set(covers(gui_kind(space))) if gui else set()
        rest = [s for s in space.schemas() if s["name"] not in covered]
        return ([gui] if gui else []) + rest

    # -- prompt pieces -------------------------------------------------------------------------
    def system(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
               frame: Frame) -> str:
        """The system message (for the "vagent" layout; the others' first message)."""
        raise NotImplementedError

    def task_text(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
                  frame: Frame) -> str:
        return P.TASK.format(task=task)

    def result_text(self, results: list[dict[str, Any]]) -> str:
        """Tool results as the format feeds them back (one turn's text)."""
        raise NotImplementedError

    def call_text(self, name: str, arguments: dict[str, Any] | str) -> str:
        """A call as this format writes it."""
        raise NotImplementedError

    def step_line(self, n: int, thought: str, call_text: str, error: str | None,
                  results: list[dict[str, Any]]) -> str:
        """One old step as one line: its thought and what it did (or why it did nothing)."""
        parts = [one_line(thought, 200)] if thought else []
        parts.append(one_line(call_text, 300) if call_text else
                     P.NO_ACTION.format(error=one_line(error or "none", 160)))
        for r in results:
            parts.append(f"→ {r.get('name')}: {one_line(str(r.get('result')), 160)}")
        return P.STEP_LINE.format(n=n, text=" ".join(parts))

    def parse(self, text: str, frame: Frame, space: ActionSpace | None = None) -> Parsed:
        """The model's answer as project calls. With the ``space``, a drag on a phone (UI-TARS
        1.5's mobile grammar writes a swipe as ``drag(start_point, end_point)``) is a swipe."""
        from vagent.actions.parsing import parse

        parsed = parse(text, self.parser, frame=frame)
        if space is not None and "drag" not in space.names and "swipe" in space.names:
            parsed.calls = [{**c, "action": "swipe"} if c.get("action") == "drag" else c
                            for c in parsed.calls]
        return parsed

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "parser": self.parser, "frame": self.frame_kind,
                "version": getattr(self, "version", None)}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
