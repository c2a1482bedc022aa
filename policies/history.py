"""What the model sees of an episode: a conversation that fits its context window.

Layout (each piece rendered by the prompt format):

    system     the format's system prompt (the action space as tools)
    user       the task, then the older steps, one text line each (thought + action)
    per recent step:  user [step label, screenshot]  ·  assistant [what the model wrote]
                      · the tools' results (in the assistant turn, a user turn or tool messages)
                      · the step's error, if it failed
    user       [step label, current screenshot]
    user       what the environment reports, the instruction, the feedback on a failed answer

The most recent ``keep_images`` screenshots (the current one included) are images; older steps
are lines. Every image's token cost is computed exactly from smart_resize before anything is
rendered; when the total would pass the budget (``max_tokens`` minus the tokens reserved for
the answer), the oldest images become lines first, then the oldest lines go.

Append-only (for KV-cache reuse by a later change): a step's turns are identical whether the step
is current or past — the screen turn holds only its label and image, and everything that changes
(the environment's text, the instruction, feedback) sits in the last message. So step t+1's
prompt starts with step t's prompt minus its last message, except when a step moves from images
to lines (the task message grows at its end) or lines are dropped (the only full rewrite).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, FACTOR, smart_resize

if TYPE_CHECKING:
    from vagent.actions.context import Context, StepView
    from vagent.policies.formats import Format

#: ChatML wraps each message in ``<|im_start|>role\n`` … ``<|im_end|>\n``: five tokens.
MESSAGE_OVERHEAD = 5
#: ``<|vision_start|>`` and ``<|vision_end|>`` around an image's pad tokens.
IMAGE_OVERHEAD = 2
#: What the chat template appends so that the model answers.
GENERATION_PROMPT = "<|im_start|>assistant\n"


def approx_tokens(text: str) -> int:
    """A conservative token count without a tokenizer: one token per three UTF-8 bytes (Qwen's
    tokenizer averages about four characters of English per token, one per CJK character)."""
    return len(text.encode("utf-8")) // 3 + 1


@dataclass
class ImagePart:
    """A screenshot in the prompt and the size it has once the processor resized it."""

    array: np.ndarray
    height: int
    width: int

    @property
    def tokens(self) -> int:
        """Visual tokens the model sees (without vision start/end)."""
        return (self.height // FACTOR) * (self.width // FACTOR)

    @classmethod
    def of(cls, array: np.ndarray, min_pixels: int, max_pixels: int) -> ImagePart:
        h, w = smart_resize(int(array.shape[0]), int(array.shape[1]), min_pixels=min_pixels,
                            max_pixels=max_pixels)
        return cls(array=array, height=h, width=w)


Part = str | ImagePart


@dataclass
class Message:
    role: str  # system, user, assistant, tool
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))

    @property
    def images(self) -> list[ImagePart]:
        return [p for p in self.parts if isinstance(p, ImagePart)]


@dataclass
class Prompt:
    messages: list[Message]
    tokens: int  # estimated prompt tokens
    budget: int  # what the prompt may use (max_tokens − reserve)
    image_tokens: int = 0
    lines: int = 0  # older steps shown as one line
    dropped: int = 0  # older steps left out entirely
    over_budget: bool = False  # even the smallest prompt does not fit
    notes: list[str] = field(default_factory=list)

    @property
    def images(self) -> list[ImagePart]:
        return [img for m in self.messages for img in m.images]


class HistoryConfig(BaseModel):
    max_tokens: int = Field(32768, ge=256)  # the model's context window
    keep_images: int = Field(3, ge=1)  # screenshots shown as images, the current one included
    reserve: int = Field(512, ge=0)  # tokens kept free for the answer
    min_pixels: int = DEFAULT_MIN_PIXELS
    max_pixels: int = DEFAULT_MAX_PIXELS
    obs_chars: int = Field(1000, ge=0)  # how much of the env's text observation to show
    # Replaces the format's system prompt (tools and rules): for a checkpoint fine-tuned with a
    # prompt of its own, such as the bundled tiny model. The parser is the format's either way.
    system: str | None = None
    # A layout for KV-cache reuse (an option: the checkpoints were trained without it). Past
    # screenshots stay images only within windows of this many steps: at each step whose number
    # is a multiple of it, every past screenshot turns into a line at once, so the steps in
    # between only append to the previous prompt (a kept image that moves is re-encoded: one
    # eviction per window instead of one per step). At most ``keep_images`` images either way.
    image_window: int | None = Field(None, ge=1)


def window_start(step: int, window: int | None) -> int:
    """The first step whose screenshot may still be an image at ``step`` (0: no window)."""
    return step // window * window if window else 0


def _calls_text(view: StepView, fmt: Format, frame: Any) -> str:
    """A past step's calls as the format would write them (``actions.parsing.render``), or as
    project JSON when the format cannot render them."""
    from vagent.actions.parsing import render

    out = []
    for call in view.calls:
        try:
            out.append(render(call, fmt.parser, frame=frame))
        except Exception:  # noqa: BLE001 — any render gap falls back to the project's JSON
            out.append(json.dumps(call, ensure_ascii=False))
    return "; ".join(out)


@dataclass
class Episode:
    """What a format with a layout of its own (``Format.conversation``) renders: the steps still
    shown, which screenshots are images, and the current turn's extras."""

    task: str
    space: Any
    screen: tuple[int, int] | None
    frame: Any
    steps: list[StepView]  # oldest first; steps left out for the budget are not here
    images: dict[int, ImagePart]  # step number → its screenshot, for the screenshots shown
    step: int  # the current step's number
    obs_text: str = ""  # what the environment reports now
    feedback: str | None = None  # why the previous answer to this step could not be used
    dropped: int = 0  # how many older steps were left out
    system: str | None = None  # a system prompt of the checkpoint's own, replacing none/format's


def image_name(step: int) -> str:
    """The screenshot's file name in a run folder (agent.trajectory writes the same), which is
    how a format that names its images (Qwen-Agent's upload notes) refers to it."""
    return f"step_{step:03d}.png"


def _cost(msgs: list[Message], count_text: Callable[[str], int]) -> int:
    total = 0
    for m in msgs:
        total += max(MESSAGE_OVERHEAD, count_text(f"<|im_start|>{m.role}\n<|im_end|>\n"))
        for p in m.parts:
            total += p.tokens + IMAGE_OVERHEAD if isinstance(p, ImagePart) else count_text(p)
    return total


def build_turns(context: Context, fmt: Format, cfg: HistoryConfig,
                count_text: Callable[[str], int] = approx_tokens) -> Prompt:
    """The conversation of a format with its own layout (the reference packages' layouts):
    the format renders an ``Episode``; this fits it in the budget — the oldest screenshots stop
    being images first (the current one always stays), then the oldest steps go."""
    frame = fmt.frame(cfg.min_pixels, cfg.max_pixels)
    views = [v for v in context.steps if v.raw or v.calls or v.tool_results]
    budget = cfg.max_tokens - cfg.reserve
    shot = context.observation.get("screenshot")
    screen = context.screen or (None if shot is None else (int(shot.shape[1]),
                                                           int(shot.shape[0])))
    arrays = {v.step: v.screenshot for v in views if v.screenshot is not None}
    if shot is not None:
        arrays[context.step] = shot
    order = sorted(arrays)
    parts = {n: ImagePart.of(arrays[n], cfg.min_pixels, cfg.max_pixels) for n in order}
    obs_text = str(context.observation.get("text") or "")[: cfg.obs_chars].strip()

    start = window_start(context.step, cfg.image_window)

    def render(n_images: int, dropped: int
               ) -> tuple[list[Message], int, list[StepView], list[int]]:
        shown = views[dropped:]
        first = max(shown[0].step if shown else context.step, start)
        kept = [n for n in order if n >= first][-n_images:] if n_images else []
        ep = Episode(task=context.task, space=context.space, screen=screen, frame=frame,
                     steps=shown, images={n: parts[n] for n in kept}, step=context.step,
                     obs_text=obs_text, feedback=context.feedback, dropped=dropped,
                     system=cfg.system)
        messages = fmt.conversation(ep)
        return messages, _cost(messages, count_text) + count_text(GENERATION_PROMPT), shown, kept

    def largest(lo: int, hi: int, fits: Callable[[int], bool]) -> int:
        """The largest value in [lo, hi] that fits (the cost falls as it grows), or lo."""
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid - 1
        return lo

    least = 1 if shot is not None else 0  # the current screenshot always stays an image
    most = min(cfg.keep_images, len(order))
    # Fewer images first (keeping as many as fit), then fewer steps (dropping as few as fit).
    n_images = largest(least, most, lambda k: render(k, 0)[1] <= budget)
    dropped = 0
    if render(n_images, 0)[1] > budget:
        n = len(views)
        dropped = n - largest(0, n, lambda kept: render(n_images, n - kept)[1] <= budget)
    messages, tokens, shown, kept = render(n_images, dropped)
    prompt = Prompt(messages=messages, tokens=tokens, budget=budget,
                    lines=len(shown) - max(0, len(kept) - (shot is not None)), dropped=dropped)
    prompt.image_tokens = sum(img.tokens + IMAGE_OVERHEAD for img in prompt.images)
    prompt.over_budget = tokens > budget
    if prompt.over_budget:
        prompt.notes.append(f"the prompt needs {tokens} tokens, over the budget of {budget}; "
                            "lower --max-pixels or raise --context-tokens")
    return prompt


def build(context: Context, fmt: Format, config: HistoryConfig | None = None,
          count_text: Callable[[str], int] = approx_tokens) -> Prompt:
    """The conversation for ``context`` in ``fmt``, within ``config``'s token budget."""
    from vagent.policies import texts as P

    cfg = config or HistoryConfig()
    if fmt.layout != "vagent":
        return build_turns(context, fmt, cfg, count_text)
    frame = fmt.frame(cfg.min_pixels, cfg.max_pixels)
    # A step the model never answered (the server failed) is not part of the conversation.
    views = [v for v in context.steps if v.raw or v.calls or v.tool_results]
    budget = cfg.max_tokens - cfg.reserve

    def overhead(role: str) -> int:
        # the chat template's wrapping of one message, counted like any text
        return max(MESSAGE_OVERHEAD, count_text(f"<|im_start|>{role}\n<|im_end|>\n"))

    def cost(msgs: list[Message]) -> int:
        total = 0
        for m in msgs:
            total += overhead(m.role)
            for p in m.parts:
                total += p.tokens + IMAGE_OVERHEAD if isinstance(p, ImagePart) else count_text(p)
        return total

    # -- fixed pieces: system, the current turn ------------------------------------------------
    shot = context.observation.get("screenshot")
    screen = context.screen or (None if shot is None else (int(shot.shape[1]),
                                                           int(shot.shape[0])))
    system = Message("system", [cfg.system if cfg.system is not None else
                                fmt.system(context.task, context.space, screen, frame)])
    task_text = fmt.task_text(context.task, context.space, screen, frame)
    current: list[Message] = []
    if shot is not None:
        current.append(Message("user", [P.SCREEN.format(n=context.step),
                                        ImagePart.of(shot, cfg.min_pixels, cfg.max_pixels)]))
    last: list[str] = []
    obs_text = str(context.observation.get("text") or "")[: cfg.obs_chars].strip()
    if obs_text:
        last.append(P.SCREEN_TEXT.format(text=obs_text))
    last.append(P.NEXT.format(task=context.task))
    if context.feedback:
        last.append(P.FEEDBACK.format(error=context.feedback))
    current.append(Message("user", ["\n".join(last)]))

    # -- per-step pieces: as a block of turns (with its image) or as one line ------------------
    def block(view: StepView) -> list[Message]:
        msgs: list[Message] = []
        if view.screenshot is not None:
            msgs.append(Message("user", [P.SCREEN.format(n=view.step),
                                         ImagePart.of(view.screenshot, cfg.min_pixels,
                                                      cfg.max_pixels)]))
        text = view.raw or _calls_text(view, fmt, frame) or "(no output)"
        if view.tool_results and fmt.result_role == "assistant":
            msgs.append(Message("assistant", [text + "\n" + fmt.result_text(
                view.tool_results)]))
        else:
            msgs.append(Message("assistant", [text]))
            if view.tool_results:
                msgs.append(Message("user", [fmt.result_text(view.tool_results)]))
        if view.error:
            msgs.append(Message("user", [P.STEP_ERROR.format(error=view.error)]))
        return msgs

    def line(view: StepView) -> str:
        return fmt.step_line(view.step, view.thought, _calls_text(view, fmt, frame), view.error,
                             view.tool_results)

    lines = [line(v) for v in views]
    line_cost = [count_text(s) + 1 for s in lines]
    blocks: dict[int, list[Message]] = {}

    def block_cost(i: int) -> int:
        if i not in blocks:
            blocks[i] = block(views[i])
        return cost(blocks[i])

    fixed = (cost([system]) + cost(current) + overhead("user") + count_text(task_text)
             + count_text(GENERATION_PROMPT))
    if views:
        fixed += count_text("\n\n" + P.EARLIER_STEPS) + count_text(P.OMITTED_STEPS)
    n = len(views)
    # Steps views[first:] are blocks, views[dropped:first] are lines.
    past_images = max(0, cfg.keep_images - (1 if shot is not None else 0))
    first = max(0, n - past_images)
    if cfg.image_window:  # the steps before the window are lines already
        start = window_start(context.step, cfg.image_window)
        first = max(first, next((i for i, v in enumerate(views) if v.step >= start), n))
    dropped = 0
    total = fixed + sum(line_cost[dropped:first]) + sum(block_cost(i) for i in range(first, n))
    while total > budget:
        if first < n:  # the oldest image becomes a line
            total += line_cost[first] - block_cost(first)
            first += 1
        elif dropped < first:  # then the oldest line goes
            total -= line_cost[dropped]
            dropped += 1
        else:
            break

    head = task_text
    if first > dropped or dropped:
        shown = lines[dropped:first]
        head += "\n\n" + P.EARLIER_STEPS
        if dropped:
            head += "\n" + P.OMITTED_STEPS.format(count=dropped)
        if shown:
            head += "\n" + "\n".join(shown)
    messages = [system, Message("user", [head])]
    for i in range(first, n):
        messages += blocks[i] if i in blocks else block(views[i])
    messages += current
    prompt = Prompt(messages=messages, tokens=cost(messages) + count_text(GENERATION_PROMPT),
                    budget=budget,
                    lines=first - dropped, dropped=dropped)
    prompt.image_tokens = sum(img.tokens + IMAGE_OVERHEAD for img in prompt.images)
    prompt.over_budget = prompt.tokens > budget
    if prompt.over_budget:
        prompt.notes.append(f"the prompt needs {prompt.tokens} tokens, over the budget of "
                            f"{budget}; lower --max-pixels or raise --context-tokens")
    return prompt


def protocol_prompt(context: Context, config: HistoryConfig | None = None) -> Prompt:
    """The conversation when the env fixes its own protocol: its system text and its prompt
    parts (text and images, in order) as one user turn; the protocol decides what history to
    show."""
    from vagent.policies import texts as P

    cfg = config or HistoryConfig()
    protocol = context.protocol
    parts: list[Part] = []
    for part in protocol.prompt(context):
        if isinstance(part, np.ndarray):
            parts.append(ImagePart.of(part, cfg.min_pixels, cfg.max_pixels))
        else:
            parts.append(str(part))
    messages = [Message("system", [protocol.system])] if protocol.system else []
    if context.feedback:
        parts.append("\n" + P.FEEDBACK.format(error=context.feedback))
    messages.append(Message("user", parts))
    tokens = sum(MESSAGE_OVERHEAD + sum(p.tokens + IMAGE_OVERHEAD if isinstance(p, ImagePart)
                                        else approx_tokens(p) for p in m.parts)
                 for m in messages)
    budget = cfg.max_tokens - cfg.reserve
    prompt = Prompt(messages=messages, tokens=tokens, budget=budget)
    prompt.image_tokens = sum(img.tokens + IMAGE_OVERHEAD for img in prompt.images)
    prompt.over_budget = tokens > budget
    return prompt


__all__ = ["Episode", "HistoryConfig", "ImagePart", "Message", "Prompt", "approx_tokens",
           "build", "build_turns", "image_name", "protocol_prompt"]
