"""What the local and the OpenAI-compatible policies share: options, the prompt (the format's, or
the env's protocol's), parsing the reply, and the Decision with its timings.

A subclass implements ``generate(prompt, context) -> (text, timings)``: turn the prompt into
model input (image preprocessing counts as ``preprocess``), run the model (``generate``).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vagent.actions import Frame
from vagent.actions.errors import ParseError, VagentError
from vagent.actions.parsing import Parsed
from vagent.policies.history import HistoryConfig, Prompt, approx_tokens, build, protocol_prompt

from . import formats
from .base import Context, Decision, Policy


class ModelOptions(BaseModel):
    """Options every model policy takes (``--opt KEY=VALUE`` strings are coerced)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    format: str | None = None  # qwen2vl, qwen25vl, uitars (default: from the model)
    min_pixels: int | None = Field(None, ge=28 * 28)
    max_pixels: int | None = Field(None, ge=28 * 28)
    max_new_tokens: int = Field(256, ge=1)
    context_tokens: int = Field(32768, ge=512)
    keep_images: int = Field(3, ge=1)
    stop: list[str] | str | None = None  # extra stop strings ("a|b" from the command line)
    seed: int | None = None
    obs_chars: int = Field(1000, ge=0)
    system: str | None = None  # replaces the format's system prompt (fine-tuned checkpoints)
    image_window: int | None = Field(None, ge=1)  # a reuse-friendly layout (policies/history.py)

    def stops(self, fmt: formats.Format) -> list[str]:
        extra = self.stop.split("|") if isinstance(self.stop, str) else list(self.stop or [])
        return list(dict.fromkeys([*fmt.stop, *[s for s in extra if s]]))


def parse_options(cls: type[BaseModel], policy: str, options: dict[str, Any]) -> Any:
    """Validate a policy's options into ``cls``, or one line naming the bad option."""
    try:
        return cls(**options)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise VagentError(f"{policy}: unknown option {where!r} — see 'vagent run --help'"
                              ) from None
        raise VagentError(f"{policy}: option {where!r}: {err['msg']}") from None


class ModelPolicy(Policy):
    """A policy that renders a prompt, asks a model, and parses the reply."""

    options: ModelOptions
    fmt: formats.Format

    def history_config(self) -> HistoryConfig:
        o = self.options
        return HistoryConfig(max_tokens=o.context_tokens, keep_images=o.keep_images,
                             reserve=o.max_new_tokens, min_pixels=self.min_pixels,
                             max_pixels=self.max_pixels, obs_chars=o.obs_chars,
                             system=o.system, image_window=o.image_window)

    # Subclasses settle the image size range (from options, the processor, the server's
    # defaults) into _min and _max when they start.
    _min: int
    _max: int

    @property
    def min_pixels(self) -> int:
        return self._min

    @property
    def max_pixels(self) -> int:
        return self._max

    def frame(self) -> Frame:
        return self.fmt.frame(self.min_pixels, self.max_pixels)

    def count_text(self, text: str) -> int:
        return approx_tokens(text)

    def build_prompt(self, context: Context) -> Prompt:
        cfg = self.history_config()
        if context.protocol is not None:
            return protocol_prompt(context, cfg)
        return build(context, self.fmt, cfg, self.count_text)

    def generate(self, prompt: Prompt, context: Context,
                 timings: dict[str, float]) -> str:
        raise NotImplementedError

    def parse(self, text: str, context: Context) -> Parsed:
        if context.protocol is not None:
            return context.protocol.parse(text)
        return self.fmt.parse(text, self.frame(), context.space)

    def format_line(self, screen: tuple[int, int] | None) -> str:
        """What the policy tells the user at start: the format and the frame the model's
        coordinates are read in ("format uitars15, frame resized 1092x2408")."""
        frame = self.frame()
        text = f"format {self.fmt.name}, frame {frame.kind}"
        size = self.fmt.resized(screen, frame) if frame.kind == "resized" else None
        return text + (f" {size[0]}x{size[1]}" if size else "")

    def act(self, context: Context) -> Decision:
        if not self.__dict__.get("_announced") and context.protocol is None:
            # A wrong format maps every click elsewhere, silently: say which one is in use.
            self.__dict__["_announced"] = True
            print(f"{self.name}: {self.format_line(context.screen)} (--format to change)",
                  file=sys.stderr)
        failures = self.__dict__.setdefault("_failures", set())
        if context.feedback and context.feedback in failures:
            # The agent hands back the error of a failed step as feedback for the model; a
            # server's failure is not the model's mistake, so the model is not told about it.
            context = context.model_copy(update={"feedback": None})
        # (timing keys avoid the word "token": the trajectory writer redacts such keys)
        timings: dict[str, float] = {}
        t = time.perf_counter()
        prompt = self.build_prompt(context)
        timings["prompt"] = time.perf_counter() - t
        timings["prompt_len_estimate"] = float(prompt.tokens)
        try:
            text = self.generate(prompt, context, timings)
        except StepFailed as e:
            if len(failures) > 100:
                failures.clear()
            failures.add(str(e))
            return Decision(error=str(e), request_failed=True, frame=self.frame(),
                            timings=_rounded(timings))
        t = time.perf_counter()
        try:
            parsed = self.parse(text, context)
        except ParseError as e:
            timings["parse"] = time.perf_counter() - t
            return Decision(raw=text, error=str(e), frame=self.frame(), timings=_rounded(timings))
        timings["parse"] = time.perf_counter() - t
        return Decision(raw=text, thought=parsed.thought, calls=parsed.calls, frame=parsed.frame,
                        timings=_rounded(timings))

    @property
    def images_needed(self) -> int:  # type: ignore[override]
        return self.options.keep_images

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.options.model, "format": self.fmt.name,
                "format_info": self.fmt.describe(), "frame": self.fmt.frame_kind,
                "min_pixels": self.min_pixels, "max_pixels": self.max_pixels,
                "max_new": self.options.max_new_tokens,
                "context_window": self.options.context_tokens,
                "keep_images": self.options.keep_images}


class StepFailed(VagentError):
    """The model could not answer this step (the server gave up); the episode goes on."""


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 5) for k, v in timings.items()}


__all__ = ["ModelOptions", "ModelPolicy", "StepFailed", "parse_options"]
