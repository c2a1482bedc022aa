"""The three prompt formats: Qwen2-VL (Qwen-Agent ✿), Qwen2.5-VL (nous), UI-TARS."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from vagent.actions import Frame

from vagent.policies import texts as P
from .base import COMPUTER_COVERS, MOBILE_COVERS, Format, dumps, gui_kind

if TYPE_CHECKING:  # annotations only: the space's gymnasium base is not needed to render
    from vagent.actions.space import ActionSpace


def _results(results: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("result", "")) for r in results]


class VagentTinyFormat(Format):
    """The project's own layout with ✿FUNCTION✿/✿ARGS✿ calls and box tokens in [0, 1000): the
    layout the bundled tiny model was trained on (its text is frozen by
    tests/test_tiny_golden.py). Real Qwen2-VL checkpoints get ``qwen2vl``, Qwen-Agent's own."""

    name = "vagent-tiny"
    parser = "qwen2vl"
    frame_kind = "rel1000"
    stop = ("✿RESULT✿", "✿RETURN✿")
    result_role = "assistant"

    def system(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
               frame: Frame) -> str:
        functions = self.functions(space, screen, frame)
        tools = "\n\n".join(
            P.QWEN_AGENT_TOOL.format(
                human_name=" ".join(w.capitalize() for w in f["name"].split("_")),
                name=f["name"], description=f["description"],
                parameters=dumps(f["parameters"]))
            for f in functions)
        names = ",".join(f["name"] for f in functions)
        return P.ASSISTANT + "\n\n" + P.QWEN_AGENT_TOOLS.format(tools=tools, names=names)

    def result_text(self, results: list[dict[str, Any]]) -> str:
        return "\n".join(P.QWEN_AGENT_RESULT.format(result=r) for r in _results(results))

    def call_text(self, name: str, arguments: dict[str, Any] | str) -> str:
        args = arguments if isinstance(arguments, str) else dumps(arguments)
        return f"✿FUNCTION✿: {name}\n✿ARGS✿: {args}"
