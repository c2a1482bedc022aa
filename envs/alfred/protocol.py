"""ALFRED's protocol for model policies: the task, the actions, what is in view, one call back.

The prompt gives the instruction, the action list, the egocentric image and the env's text
(visible objects, the held object, places, the last action's result) and the recent actions;
the answer is one call such as ``Pickup(apple)`` or ``{"action": "Put", "receptacle":
"countertop 2"}``, read by ``actions.parsing.calltext``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vagent.actions.parsing.calltext import parse_call_text
from vagent.actions.protocol import Part, Protocol

if TYPE_CHECKING:
    from vagent.actions.parsing import Parsed
    from vagent.actions.context import Context

SIGNATURES = {"GotoLocation": "target", "Pickup": "object", "Put": "receptacle",
              "Open": "object", "Close": "object", "ToggleOn": "object", "ToggleOff": "object",
              "Slice": "object", "Heat": "object", "Cool": "object", "Clean": "object"}

SYSTEM = (
    "You are a household robot. Each step you see what is in front of you and do one action. "
    "Actions: GotoLocation(place or object), Pickup(object), Put(receptacle) puts the held "
    "object there, Open(object), Close(object), ToggleOn(object), ToggleOff(object), "
    "Slice(object) needs a knife in hand, Heat(object) uses the microwave in view, Cool(object) "
    "the fridge in view, Clean(object) the sink in view (hold the object), Stop() when done. "
    "Name objects as listed, e.g. 'apple 1' or 'countertop 2'. Think briefly, then write the "
    "action on the last line as 'Action: Name(argument)'."
)


class AlfredProtocol(Protocol):
    name = "alfred"
    system = SYSTEM

    def __init__(self, history: int = 8):
        self.history = history

    def prompt(self, context: Context) -> list[Part]:
        lines = [f"Task: {context.task}"]
        past = [s for s in context.steps if s.action or s.error][-self.history:]
        if past:
            lines.append("Previous actions:")
            for s in past:
                if s.action:
                    args = ", ".join(str(v) for k, v in s.action.items() if k != "action")
                    lines.append(f"  {s.step}: {s.action['action']}({args})")
                else:
                    lines.append(f"  {s.step}: (no action: {s.error})")
        lines.append(str(context.observation.get("text") or ""))
        if context.feedback:
            lines.append(f"Your last answer could not be read: {context.feedback}")
        lines.append("What is your next action?")
        parts: list[Part] = []
        shot = context.observation.get("screenshot")
        if shot is not None:
            parts.append(shot)
        parts.append("\n".join(lines))
        return parts

    def parse(self, text: str) -> Parsed:
        return parse_call_text(text, SIGNATURES)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "history": self.history}
