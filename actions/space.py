"""ActionSpace: a named set of action models that is also a gymnasium Space.

It validates calls (a dict, a JSON string or an Action) into Action instances, renders JSON
schemas for prompts, samples random valid actions, and knows which of its members are tools the
framework runs itself rather than actions the env executes.
"""

from __future__ import annotations

import functools
import json
import random
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Union, get_args, get_origin

import gymnasium
from pydantic import BaseModel

from .errors import ActionError
from .models import (DESKTOP, GUI_ACTIONS, MOBILE, SPACES, Action, Button, Click, Drag, Key,
                     LongPress, Move, OpenApp)
from .models import Scroll, Swipe, Terminate, Type, Wait
from .tools import Tool, validate_call

Member = Union[type[Action], Tool]


@functools.lru_cache(maxsize=1024)
def _parameters(model: type[Action]) -> str:
    """The JSON schema of an action's fields (without ``action``), as JSON text: built once per
    model class (pydantic takes ~10 ms a space, and prompts ask at every step); each caller
    gets its own parsed copy to change."""
    schema = model.model_json_schema()
    props = dict(schema.get("properties", {}))
    props.pop("action", None)
    for prop in props.values():
        prop.pop("title", None)
    required = [r for r in schema.get("required", []) if r != "action"]
    params: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    if "$defs" in schema:
        params["$defs"] = schema["$defs"]
    return json.dumps(params)


class ActionSpace(gymnasium.spaces.Space):
    """A set of actions by name. ``screen`` (w, h) bounds the coordinates that ``sample`` draws."""

    def __init__(
        self,
        name: str,
        members: Iterable[Member],
        screen: tuple[int, int] | None = None,
        seed: int | None = None,
    ):
        super().__init__(shape=None, dtype=None, seed=seed)
        self.name = name
        self.screen = screen
        self.models: dict[str, type[Action]] = {}
        self.tools: dict[str, Tool] = {}
        for member in members:
            self.add(member)
        self._rng = random.Random(seed)

    # -- building -----------------------------------------------------------------------------
    def add(self, member: Member) -> Member:
        """Add an action model or a tool (usable as a decorator on an Action subclass)."""
        if isinstance(member, Tool):
            self.models[member.name] = member.model
            self.tools[member.name] = member
        elif isinstance(member, type) and issubclass(member, Action):
            if callable(getattr(member, "run", None)):
                return self.add(Tool.from_model(member)) and member
            self.models[member.action_name()] = member
        else:
            raise TypeError(f"not an Action model or a Tool: {member!r}")
        return member

    def with_screen(self, width: int, height: int) -> ActionSpace:
        """A copy bound to a screen size (what envs expose as their action_space)."""
        space = ActionSpace(self.name, [], screen=(width, height))
        space.models, space.tools = dict(self.models), dict(self.tools)
        return space

    def __or__(self, other: ActionSpace | Sequence[Member]) -> ActionSpace:
        members = list(other.members()) if isinstance(other, ActionSpace) else list(other)
        space = ActionSpace(self.name, list(self.members()) + members, screen=self.screen)
        return space

    def members(self) -> list[Member]:
        return [self.tools.get(n, m) for n, m in self.models.items()]

    # -- queries ------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.models)

    def is_tool(self, action: Action | str) -> bool:
        name = action if isinstance(action, str) else action.action
        return name in self.tools

    def validate(self, call: Action | dict[str, Any] | str) -> Action:
        """Turn a call into an Action of this space, or raise ActionError naming what is wrong."""
        return validate_call(call, self.models, self.name)

    def contains(self, x: Any) -> bool:
        try:
            action = self.validate(x)
        except ActionError:
            return False
        if self.screen is None:
            return True
        w, h = self.screen
        for fx, fy in type(action).POINTS:
            px, py = getattr(action, fx), getattr(action, fy)
            if px is None or py is None:
                continue
            if not (0 <= px < w and 0 <= py < h):
                return False
        return True

    def schemas(self) -> list[dict[str, Any]]:
        """One JSON schema per action, ``{"name", "description", "parameters"}``, for prompts."""
        out = []
        for name, model in self.models.items():
            desc = self.tools[name].description if name in self.tools else (model.__doc__ or "")
            out.append({"name": name, "description": " ".join(desc.split()),
                        "parameters": json.loads(_parameters(model))})
        return out

    # -- sampling -----------------------------------------------------------------------------
    def seed(self, seed: int | None = None) -> list[int | None]:
        self._rng = random.Random(seed)
        return [seed]

    def sample(self, mask: Any = None, probability: Any = None) -> Action:
        model = self.models[self._rng.choice(self.names)]
        return model.model_validate({"action": model.action_name(), **self._sample_fields(model)})

    def _sample_fields(self, model: type[BaseModel]) -> dict[str, Any]:
        w, h = self.screen or (1000, 1000)
        point_axes = {}
        for fx, fy in getattr(model, "POINTS", ()):
            point_axes[fx], point_axes[fy] = w, h
        values: dict[str, Any] = {}
        for fname, field in model.model_fields.items():
            if fname == "action":
                continue
            if fname in point_axes:
                values[fname] = self._rng.randrange(point_axes[fname])
                continue
            if not field.is_required() and self._rng.random() < 0.5:
                continue
            values[fname] = self._sample_type(field.annotation, field.metadata)
        return values

    def _sample_type(self, annotation: Any, metadata: list[Any]) -> Any:
        origin = get_origin(annotation)
        if origin is Literal:
            return self._rng.choice(get_args(annotation))
        if origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            return self._sample_type(options[0], metadata)
        if origin in (list, typing.List):  # noqa: UP006
            (inner,) = get_args(annotation) or (str,)
            return [self._sample_type(inner, []) for _ in range(self._rng.randint(1, 2))]
        lo, hi = 0, 100
        for m in metadata:
            lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
            hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
        if annotation is bool:
            return self._rng.random() < 0.5
        if annotation is int:
            return self._rng.randint(int(lo), int(min(hi, lo + 100)))
        if annotation is float:
            return round(self._rng.uniform(lo, min(hi, lo + 5)), 2)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return {k: self._sample_type(f.annotation, f.metadata)
                    for k, f in annotation.model_fields.items() if f.is_required()}
        return self._rng.choice(["hello", "San Diego", "42", "enter"])

    def __repr__(self) -> str:
        return f"ActionSpace({self.name!r}, {self.names})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ActionSpace) and self.models == other.models



def get_space(name: str) -> ActionSpace:
    """A fresh built-in space by name (``mobile``, ``desktop``, ``gui``)."""
    if name not in SPACES:
        raise ActionError(f"unknown action space {name!r} — choose one of {', '.join(SPACES)}")
    return ActionSpace(name, SPACES[name])
