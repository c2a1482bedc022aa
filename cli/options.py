"""Options shared by every command that runs a policy (``vagent run``, ``vagent eval ...``).

``policy_options`` adds the same typer options to any command and hands the command one
``PolicyOptions``; ``make_policy`` turns that into a policy. One place for the option names.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import typing
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import BaseModel, Field

from vagent.actions.errors import VagentError


# -- option checks (typer callbacks): a bad value is a usage error, exit 2, before anything loads
_DEVICE = re.compile(r"cpu|auto|mps|cuda(:\d{1,2})?")

#: seeds are numpy's: 0 .. 2**32 - 1
SEED_MAX = 2**32 - 1


def check_device(value: str | None) -> str | None:
    if value is not None and not _DEVICE.fullmatch(value):
        raise typer.BadParameter(f"{value!r} is not a device — give cpu, cuda, cuda:N, mps or "
                                 "auto")
    return value


def check_out_folder(value: Path | None) -> Path | None:
    """``--out`` naming a folder to write into: not an existing file (``/dev/null``)."""
    if value is not None and value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file — give a folder")
    return value


def check_out_file(value: Path | None) -> Path | None:
    """``--out`` naming a file to write: not a folder, not a device."""
    if value is None:
        return value
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a folder — give a file name")
    if value.exists() and not value.is_file():
        raise typer.BadParameter(f"{value} is not a regular file — give a file name")
    return value


Serials = Annotated[str | None, typer.Option(
    "--serial", metavar="A,B,C", help="Simulated phones served elsewhere ('vagent sim phone'), "
    "as HOST:PORT serials: one worker each, instead of in-process ones.")]


def devices_and_workers(serial: str | None, workers: int | None) -> tuple[list[str] | None, int]:
    """``--serial a,b,c`` with ``--workers``: the devices, one per worker (None: no devices,
    in-process simulated phones), and the number of workers (default: one per device, else 1)."""
    if serial is None:
        return None, workers or 1
    serials = [s.strip() for s in serial.split(",")]
    if not all(serials):
        raise typer.BadParameter(f"takes devices separated by commas (HOST:PORT or USB "
                                 f"serials), not {serial!r}", param_hint="--serial")
    twice = next((s for s in serials if serials.count(s) > 1), None)
    if twice is not None:
        raise typer.BadParameter(f"names {twice} twice — one worker per device",
                                 param_hint="--serial")
    if workers is None:
        return serials, len(serials)
    if workers > len(serials):
        raise typer.BadParameter(f"{workers} workers but {len(serials)} devices in --serial — "
                                 f"one device per worker: give more, or --workers "
                                 f"{len(serials)}", param_hint="--workers")
    return serials[:workers], workers


def check_positive(value: float | None) -> float | None:
    """A finite number above 0 (a rate, a number of epochs, a time budget)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a finite number above 0, not {value}")
    return value


class PolicyOptions(BaseModel):
    policy: str = "oracle"
    actions: str | None = None
    model: str | None = None
    api_base: str | None = None
    api_key_env: str | None = None
    format: str | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    max_new_tokens: int | None = None
    device: str | None = None
    dtype: str | None = None
    seed: int | None = None
    context_tokens: int | None = None
    keep_images: int | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"policy", "extra"})
        return {**{k: v for k, v in data.items() if v is not None}, **self.extra}


DTYPES = ("float32", "bfloat16", "float16")


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str | None:
    if value is not None and value not in choices:
        raise typer.BadParameter(f"choose one of {', '.join(choices)}, not {value!r}")
    return value


_OPTIONS: list[tuple[str, Any, Any, Any]] = [
    ("policy", str, "oracle", typer.Option("--policy", "-p", help="Policy name (see 'vagent policies').")),
    ("actions", str | None, None, typer.Option(help="replay: JSON/JSONL file of pixel actions.")),
    ("model", str | None, None, typer.Option(help="Model: a local checkpoint dir, a hub id, or the served name.")),
    ("api_base", str | None, None, typer.Option(help="openai: the endpoint, e.g. http://127.0.0.1:8000/v1.")),
    ("api_key_env", str | None, None, typer.Option(help="openai: the environment variable holding the API key.")),
    ("format", str | None, None, typer.Option("--format", help="Prompt format: qwen2vl, qwen25vl, uitars (default: from the model).")),
    ("min_pixels", int | None, None, typer.Option(min=1, help="Smallest image area the model sees (pixels).")),
    ("max_pixels", int | None, None, typer.Option(min=1, help="Largest image area the model sees (pixels).")),
    ("max_new_tokens", int | None, None, typer.Option(min=1, max=1_000_000, help="Tokens to generate per step.")),
    ("device", str | None, None, typer.Option(callback=check_device, help="Local models: cpu, cuda, auto (device_map).")),
    ("dtype", str | None, None, typer.Option(callback=lambda v: _choice(v, "--dtype", DTYPES), help="Local models: float32, bfloat16, float16.")),
    ("context_tokens", int | None, None, typer.Option(min=1, max=10_000_000, help="Model policies: the context window in tokens (default 32768).")),
    ("keep_images", int | None, None, typer.Option(min=1, max=1000, help="Model policies: screenshots shown as images, the current one included (default 3).")),
    ("policy_seed", int | None, None, typer.Option("--policy-seed", min=0, max=SEED_MAX, help="Seed of a sampling policy.")),
    ("opt", list[str] | None, None, typer.Option("--opt", help="Any other policy option as KEY=VALUE (repeatable).")),
]


def policy_options(fn: Callable[..., Any] | None = None, *, default: str = "oracle") -> Any:
    """Decorator: the command gets ``policy_opts: PolicyOptions`` instead of the options.
    ``@policy_options(default="tiny")`` changes the default of ``--policy`` for one command."""
    if fn is None:
        return functools.partial(policy_options, default=default)
    sig = inspect.signature(fn)
    # Resolve string annotations (from __future__ import annotations) so typer sees the options.
    hints = typing.get_type_hints(fn, include_extras=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation))
              for p in sig.parameters.values() if p.name != "policy_opts"]
    for name, annotation, value, option in _OPTIONS:
        value = default if name == "policy" else value
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value,
                                        annotation=Annotated[annotation, option]))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name, *_ in _OPTIONS}
        extra = {}
        for item in values.pop("opt") or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise typer.BadParameter(f"--opt takes KEY=VALUE, got {item!r}")
            extra[key.replace("-", "_")] = value
        values["seed"] = values.pop("policy_seed")
        kwargs["policy_opts"] = PolicyOptions(**values, extra=extra)
        return fn(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must read the new signature, not the wrapped function's
    return wrapper


def make_policy(opts: PolicyOptions) -> Any:
    from vagent import policies

    try:
        return policies.make(opts.policy, **opts.kwargs())
    except TypeError as e:
        raise VagentError(f"policy {opts.policy!r} does not take these options: {e}") from None
