"""Small pieces every format shares: the result type, thoughts, JSON for rendering."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from ..coords import Frame

#: More calls than this in one answer is garbage, not a plan.
MAX_CALLS = 64

_LABEL = re.compile(r"(?i)^(?:thought|thoughts|reasoning)[ \t]*:[ \t]*")
_TRAILING_LABEL = re.compile(r"(?i)(?:^|\n)[ \t]*action[ \t]*:[ \t]*$")
_FENCE = re.compile(r"```[A-Za-z]*[ \t]*$")


class Parsed(BaseModel):
    """What a parser read: the model's reasoning, its calls (project action dicts in ``frame``),
    the frame, the format, and what had to be repaired to read it."""

    # Plain [] defaults (pydantic copies them per instance): with default_factory=list pydantic
    # reads list's signature, which compiles tokenize's patterns — 5 ms of `vagent parse`.
    thought: str = ""
    calls: list[dict[str, Any]] = []
    frame: Frame = Frame()
    format: str = ""
    repairs: list[str] = []


def clean_thought(text: str) -> str:
    """Reasoning text without ``<think>`` tags, code fences or a ``Thought:`` label, and without
    a dangling ``Action:`` label before the call."""
    t = text.replace("<think>", "").replace("</think>", "").strip()
    t = _FENCE.sub("", t).strip().strip("`").strip()
    t = _LABEL.sub("", t, count=1)
    return _TRAILING_LABEL.sub("", t).strip()


def dumps(value: Any, hide: tuple[str, ...] = ()) -> str:
    """Compact JSON as models write it (unicode kept), with each of ``hide`` — marker strings
    of the surrounding format — escaped so text inside a string can never end the call."""
    s = json.dumps(value, ensure_ascii=False)
    for marker in hide:
        s = s.replace(marker, "".join(f"\\u{ord(c):04x}" if i == 0 else c
                                      for i, c in enumerate(marker)))
    return s


def bare(error: Exception) -> str:
    """A ParseError's message without its "(at character N)" suffix, to nest in another."""
    return str(error.args[0] if error.args else error).rsplit(" (at character", 1)[0]


def check_calls(calls: list[Any], fmt: str) -> None:
    from ..errors import ParseError

    if len(calls) > MAX_CALLS:
        raise ParseError(f"{fmt}: {len(calls)} calls in one answer (more than {MAX_CALLS})")


__all__ = ["MAX_CALLS", "Parsed", "bare", "check_calls", "clean_thought", "dumps"]
