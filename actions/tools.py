"""Tools: actions that the framework itself runs in Python; their result goes back to the model.

``@tool`` turns a typed function into a Tool whose argument model (and so its JSON schema) comes
from the signature and docstring. A pydantic ``Action`` subclass with a ``run(self)`` method is a
tool too (``Tool.from_model``).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any, Literal, get_type_hints

from pydantic import Field, ValidationError, create_model

from .errors import ActionError
from .models import Action


def _doc_parts(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into its summary and per-argument descriptions (Google or reST style)."""
    if not doc:
        return "", {}
    doc = inspect.cleandoc(doc)
    summary_lines: list[str] = []
    params: dict[str, str] = {}
    in_args = False
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        rest = re.match(r":param\s+(\w+):\s*(.*)", stripped)
        if rest:
            params[rest.group(1)] = rest.group(2)
            current = rest.group(1)
            continue
        if stripped.lower() in ("args:", "arguments:", "parameters:"):
            in_args = True
            continue
        if in_args:
            m = re.match(r"(\w+)\s*(\([^)]*\))?\s*:\s*(.*)", stripped)
            if m and line.startswith((" ", "\t")):
                current = m.group(1)
                params[current] = m.group(3)
                continue
            if stripped and current and line.startswith((" ", "\t")):
                params[current] += " " + stripped
                continue
            if stripped.endswith(":"):
                in_args = False
            elif not stripped:
                continue
        if not in_args and not params:
            summary_lines.append(stripped)
    return " ".join(s for s in summary_lines if s).strip(), params


class Tool:
    """A named Python callable with a validated argument model."""

    def __init__(
        self,
        fn: Callable[..., Any],
        model: type[Action],
        description: str,
        timeout: float | None = 30.0,
    ):
        self.fn = fn
        self.model = model
        self.description = description
        self.timeout = timeout

    @property
    def name(self) -> str:
        return self.model.action_name()

    @classmethod
    def from_function(
        cls, fn: Callable[..., Any], name: str | None = None, timeout: float | None = 30.0
    ) -> Tool:
        name = name or fn.__name__
        summary, arg_docs = _doc_parts(fn.__doc__)
        hints = get_type_hints(fn)
        fields: dict[str, Any] = {"action": (Literal[name], name)}  # type: ignore[valid-type]
        for pname, param in inspect.signature(fn).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"tool {name}: *args/**kwargs cannot be described to a model")
            if pname == "action":
                raise TypeError(f"tool {name}: a parameter may not be called 'action'")
            annotation = hints.get(pname, str)
            default = ... if param.default is param.empty else param.default
            fields[pname] = (annotation, Field(default, description=arg_docs.get(pname)))
        model = create_model(  # type: ignore[call-overload]
            "".join(p.title() for p in name.split("_")) or "Tool",
            __base__=Action,
            __doc__=summary or name,
            **fields,
        )
        return cls(fn, model, summary or name, timeout)

    @classmethod
    def from_schema(cls, schema: dict[str, Any], fn: Callable[..., Any] | None = None,
                    timeout: float | None = 30.0) -> Tool:
        """A tool from an OpenAI-style schema ``{"name", "description", "parameters"}``.

        Without ``fn`` the tool is declared only (a benchmark's tool the model may call but that
        nothing here implements); calling it says so.
        """
        name = schema.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
            raise ActionError(f"a tool schema needs a valid 'name', got {name!r}")
        params = schema.get("parameters") or {}
        required = set(params.get("required", []))
        fields: dict[str, Any] = {"action": (Literal[name], name)}  # type: ignore[valid-type]
        for pname, prop in (params.get("properties") or {}).items():
            if "enum" in prop:
                annotation: Any = Literal[tuple(prop["enum"])]  # type: ignore[valid-type]
            else:
                annotation = _JSON_TYPES.get(prop.get("type"), Any)
            default: Any = ...
            if pname not in required:
                annotation, default = annotation | None, prop.get("default")
            fields[pname] = (annotation, Field(default, description=prop.get("description")))
        description = schema.get("description") or name
        model = create_model("".join(p.title() for p in re.split(r"[_.-]", name)) or "Tool",
                             __base__=Action, __doc__=description, **fields)

        def undeclared(**_: Any) -> str:
            return f"tool {name} is declared but not implemented here"

        return cls(fn or undeclared, model, description, timeout)

    @classmethod
    def from_model(cls, model: type[Action], timeout: float | None = 30.0) -> Tool:
        if not callable(getattr(model, "run", None)):
            raise TypeError(f"{model.__name__} needs a run(self) method to be a tool")
        summary, _ = _doc_parts(model.__doc__)

        def call(**kwargs: Any) -> Any:
            return model(action=model.action_name(), **kwargs).run()  # type: ignore[attr-defined]

        return cls(call, model, summary or model.action_name(), timeout)

    def __call__(self, action: Action | dict[str, Any]) -> str:
        """Run the tool on validated arguments and return its result as text.

        Exceptions and time-outs inside the tool become the text result, never a crash of the
        loop: the model reads what went wrong and can try again.
        """
        if isinstance(action, dict):
            try:
                action = self.model.model_validate({"action": self.name, **action})
            except ValidationError as e:
                raise ActionError(describe_validation(self.name, e)) from None
        kwargs = action.model_dump(exclude={"action"})
        if self.timeout is None:
            return _as_text(self.fn(**kwargs))
        import concurrent.futures  # here: vagent parse imports this module and starts faster

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        try:
            future = pool.submit(self.fn, **kwargs)
            return _as_text(future.result(timeout=self.timeout))
        except concurrent.futures.TimeoutError:
            return f"error: tool {self.name} did not finish within {self.timeout:g} s"
        except Exception as e:  # the tool's own failure is information for the model
            return f"error: tool {self.name} raised {type(e).__name__}: {e}"
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"


_JSON_TYPES: dict[str, Any] = {"string": str, "number": float, "integer": int, "boolean": bool,
                               "array": list, "object": dict}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None,
         timeout: float | None = 30.0) -> Any:
    """Decorator: ``@tool`` or ``@tool(name=..., timeout=...)`` over a typed function."""

    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool.from_function(f, name=name, timeout=timeout)

    return wrap(fn) if fn is not None else wrap


def validate_call(call: Action | dict[str, Any] | str, models: dict[str, type[Action]],
                  space: str = "actions") -> Action:
    """A call (an Action, a dict or a JSON string) as an instance of one of ``models`` (by
    action name), or ActionError naming what is wrong. ``ActionSpace.validate`` is this over
    the space's members; it lives here so that validating needs no gymnasium (``vagent parse``)."""
    if isinstance(call, str):
        try:
            call = json.loads(call)
        except json.JSONDecodeError as e:
            raise ActionError(f"not a JSON action: {e.msg}") from None
    if isinstance(call, Action):
        call = call.model_dump()
    if not isinstance(call, dict):
        raise ActionError(f"an action is a JSON object, not {type(call).__name__}")
    name = call.get("action")
    if name not in models:
        raise ActionError(
            f"unknown action {name!r} — this space ({space}) has: {', '.join(models)}"
        )
    try:
        return models[name].model_validate(call)
    except ValidationError as e:
        raise ActionError(describe_validation(str(name), e)) from None


def describe_validation(name: str, error: ValidationError) -> str:
    """One line naming each bad field: ``click: field 'x' is required; ...``."""
    parts = []
    for err in error.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(action)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a field of this action"
        parts.append(f"field '{loc}' {msg}")
    return f"{name}: " + "; ".join(parts)
