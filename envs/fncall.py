"""One image and one question; the model answers by calling tools, then terminating.

Used by the function-calling benchmark and the README's flight-ticket example. The tools are
run by the agent (their results go back to the model); the env only shows the image and takes
the final answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


from vagent.actions import Action, ActionSpace, Terminate, Tool, files
from vagent.actions.errors import VagentError
from vagent.actions.example_tools import EXAMPLE_TOOLS

from .base import Env, observation_space


def resolve_tools(specs: list[str | dict[str, Any] | Tool]) -> list[Tool]:
    """Tools as given, by example-tool name, or declared from an OpenAI-style schema."""
    tools = []
    for spec in specs:
        if isinstance(spec, Tool):
            tools.append(spec)
        elif isinstance(spec, str):
            if spec not in EXAMPLE_TOOLS:
                raise VagentError(f"unknown tool {spec!r} — known: {', '.join(EXAMPLE_TOOLS)}, "
                                  "or give a JSON schema")
            tools.append(EXAMPLE_TOOLS[spec])
        else:
            tools.append(EXAMPLE_TOOLS.get(spec.get("name", "")) or Tool.from_schema(spec))
    return tools


class FnCallEnv(Env):
    """Shows ``item["image"]`` and asks ``item["question"]``; actions are tools + terminate.

    ``reset(options={"item": {...}, "root": DIR})`` sets the item (the benchmark's JSONL line);
    without one, ``image`` and ``tools`` given to the constructor are used.
    """

    def __init__(self, image: str | None = None, tools: list[str | dict | Tool] | None = None):
        self.default_image = image
        self.default_tools = tools or list(EXAMPLE_TOOLS)
        self.item: dict[str, Any] = {}
        self._oracle_step = 0
        self._set_tools(self.default_tools)
        self.observation_space = observation_space(None, None)

    def _set_tools(self, specs: list[str | dict[str, Any] | Tool]) -> None:
        self.action_space = ActionSpace("fncall", [*resolve_tools(specs), Terminate])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        self.item = options.get("item") or {"image": self.default_image,
                                            "tools": self.default_tools}
        self._set_tools(self.item.get("tools") or self.default_tools)
        root = Path(options.get("root", "."))
        image = None
        if self.item.get("image"):
            image = files.open_screenshot(root / self.item["image"])
        self.screen_size = None if image is None else (image.shape[1], image.shape[0])
        self._oracle_step = 0
        self._last_obs = {"screenshot": image,
                          "text": self.item.get("question") or options.get("task", "")}
        return self._last_obs, {}

    def step(self, action: Action | dict[str, Any] | str):
        act = self.coerce(action)
        done = isinstance(act, Terminate)
        info: dict[str, Any] = {}
        if done:
            info["answer"] = getattr(act, "answer", None)
        return self._last_obs, 0.0, done, False, info

    def oracle_action(self) -> Action | None:
        """The expected call first, then an answer (the oracle of the fncall benchmark)."""
        expected = self.item.get("expected")
        self._oracle_step += 1
        if expected and self._oracle_step == 1:
            return self.action_space.validate({"action": expected["name"],
                                               **expected.get("arguments", {})})
        return Terminate(status="success", answer="done")
