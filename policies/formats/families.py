"""The three prompt formats: Qwen2-VL (Qwen-Agent ✿), Qwen2.5-VL (nous), UI-TARS."""

from __future__ import annotations

import json
import re
from typing import Any

from vagent.actions import ActionSpace, Frame

from . import prompts as P
from .base import COMPUTER_COVERS, MOBILE_COVERS, Format, dumps, gui_kind


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
               frame: Frame, native: bool = False) -> str:
        if native:
            return P.ASSISTANT
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

    def split_calls(self, raw: str) -> tuple[str, list[tuple[str, str]]]:
        """The inverse of ``call_text`` over text this project wrote (native tool calls turned
        into text), for rebuilding OpenAI tool messages; not a parser of model output."""
        head, *rest = raw.split("✿FUNCTION✿: ")
        calls = []
        for chunk in rest:
            name, _, args = chunk.partition("\n✿ARGS✿: ")
            calls.append((name.strip(), args.strip()))
        return head.strip(), calls


class UITarsFormat(Format):
    """UI-TARS v1: ``Thought: ...`` then ``Action: ...``; points as box tokens in [0, 1000)."""

    name = "uitars"
    parser = "uitars"
    frame_kind = "rel1000"
    native_tools = False

    def __init__(self, version: str = "1"):
        # v1 (a Qwen2-VL fine-tune): box tokens in [0, 1000); v1.5 (on Qwen2.5-VL): <point> tags
        # in pixels of the resized screenshot.
        self.version = version
        self.frame_kind = "resized" if version == "1.5" else "rel1000"

    def system(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
               frame: Frame, native: bool = False) -> str:
        return P.ASSISTANT

    def action_lines(self, space: ActionSpace) -> list[str]:
        kind = gui_kind(space)
        table = P.UITARS_MOBILE if kind == "mobile" else P.UITARS_DESKTOP
        covered = MOBILE_COVERS if kind == "mobile" else COMPUTER_COVERS if kind else {}
        names = space.names
        lines: list[str] = []
        for key, line in table.items():
            # the grammar's entries that the space can carry out
            if key in names or (key == "double" and "click" in names) or \
                    (key == "right" and "click" in names) or \
                    (key in ("home", "back") and "button" in names) or \
                    (key == "call_user" and "terminate" in names):
                if self.version == "1.5":
                    if key == "drag":
                        line = line.replace("start_box='<|box_start|>(x1,y1)<|box_end|>'",
                                            "start_point='<point>x1 y1</point>'")
                    for v1, v15 in P.UITARS_V15_SPELLING.items():
                        line = line.replace(v1, v15)
                lines.append(line)
        grammar = {line.split("(", 1)[0] for line in table.values()}
        for schema in space.schemas():
            if schema["name"] in covered or schema["name"] in grammar:
                continue  # carried by the grammar, or a name the grammar uses otherwise
            params = ", ".join(f"{p}=''" for p in schema["parameters"].get("properties", {}))
            lines.append(P.UITARS_OTHER.format(name=schema["name"], params=params,
                                               description=schema["description"]))
        return lines

    def task_text(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
                  frame: Frame) -> str:
        if self.version == "1.5":
            size = self.resized(screen, frame) or (0, 0)
            points = P.UITARS_POINTS_V15.format(width=size[0], height=size[1])
        else:
            points = P.UITARS_POINTS_V1
        return P.UITARS_SYSTEM.format(actions="\n".join(self.action_lines(space)), task=task,
                                      points=points)

    def result_text(self, results: list[dict[str, Any]]) -> str:
        return "\n".join(P.UITARS_RESULT.format(name=r.get("name"), result=r.get("result"))
                         for r in results)

    def call_text(self, name: str, arguments: dict[str, Any] | str) -> str:
        args = arguments if isinstance(arguments, dict) else json.loads(arguments or "{}")
        inner = ", ".join(f"{k}={v!r}" for k, v in args.items())
        return f"Action: {name}({inner})"

    def split_calls(self, raw: str) -> tuple[str, list[tuple[str, str]]]:
        return raw, []
