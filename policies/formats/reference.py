"""The packages that ship the trained prompts, used as they are: Qwen-Agent and ui-tars.

A model keys on the exact text and layout it was fine-tuned with, so those texts are not
rewritten here: ``qwen_agent_sent`` hands a conversation (in Qwen-Agent's own message schema) to
Qwen-Agent's function-calling pipeline and returns what it would send to the model; the UI-TARS
prompt templates come from ``ui_tars.prompt``. Both packages are imported on first use only (the
``vagent[formats]`` extra installs them): Qwen-Agent's import loads its agents (~1 s).
"""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Any

from vagent.actions.errors import VagentError


class MissingReference(VagentError):
    pass


def _need(module: str, dist: str) -> None:
    try:
        __import__(module)
    except ImportError as e:
        raise MissingReference(f"the {dist} package is needed for this prompt format ({e}) — "
                               "pip install 'vagent[formats]'") from None


def versions() -> dict[str, str | None]:
    """Installed versions of the reference packages (recorded in meta.json)."""
    out: dict[str, str | None] = {}
    for dist in ("qwen-agent", "ui-tars"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _import_qwen_agent() -> None:
    """Import Qwen-Agent without letting it take over the process's signals: its package
    import (through its code-interpreter tool) turns SIGTERM into SystemExit and hooks SIGINT
    when imported in the main thread; a run must stop on a signal as it did without it."""
    import signal
    import threading

    main = threading.current_thread() is threading.main_thread()
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        _need("qwen_agent.llm.function_calling", "qwen-agent")
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


@functools.lru_cache(maxsize=1)
def _capture_class() -> Any:
    """A Qwen-Agent chat model whose "service" records the messages it is given instead of
    calling a server: everything before it (upload notes, the tool prompt, the merge of results
    into the assistant turn, the continuation of a final assistant turn) is Qwen-Agent's."""
    _import_qwen_agent()
    from qwen_agent.llm.function_calling import BaseFnCallModel
    from qwen_agent.llm.schema import ASSISTANT, Message

    class Capture(BaseFnCallModel):
        @property
        def support_multimodal_input(self) -> bool:
            return True

        def _chat_no_stream(self, messages: list[Any], generate_cfg: dict) -> list[Any]:
            self.sent = messages
            return [Message(role=ASSISTANT, content="")]

        def _chat_stream(self, messages: list[Any], delta_stream: bool,
                         generate_cfg: dict) -> Any:
            raise NotImplementedError

    return Capture


def _capture_model(fncall: str) -> Any:
    # One per call: the recorder holds what it was given, and policies run episodes in
    # parallel threads. max_input_tokens=-1: no rough truncation, the history builder fits the
    # budget exactly.
    return _capture_class()({"model": "vagent-capture", "generate_cfg": {
        "fncall_prompt_type": fncall, "max_input_tokens": -1}})


def qwen_agent_sent(messages: list[dict[str, Any]], functions: list[dict[str, Any]],
                    fncall: str, parallel: bool = False) -> list[dict[str, Any]]:
    """What Qwen-Agent's function-calling LLM sends for ``messages`` and ``functions``:
    ``fncall`` is "qwen" (✿FUNCTION✿, Qwen2-VL era) or "nous" (``<tool_call>``). The language
    of the tool prompt (English or Chinese) is Qwen-Agent's own pick from the messages. Returns
    messages as dicts: ``{"role", "content": [{"text"} | {"image"}]}``."""
    model = _capture_model(fncall)
    model.chat(messages=messages, functions=functions, stream=False,
               extra_generate_cfg={"parallel_function_calls": parallel, "seed": 0})
    out = []
    for m in model.sent:
        content = m.content if isinstance(m.content, list) else [{"text": m.content}]
        items = []
        for item in content:
            kind, value = (item.get_type_and_value() if hasattr(item, "get_type_and_value")
                           else next(iter(item.items())))
            items.append({kind: value})
        out.append({"role": m.role, "content": items})
    return out


def uitars_template(name: str) -> str:
    """A prompt template of the ui-tars package (COMPUTER_USE_DOUBAO, MOBILE_USE_DOUBAO, ...)."""
    _need("ui_tars", "ui-tars")
    from ui_tars import prompt

    return str(getattr(prompt, name))


def uitars_add_box_token(text: str) -> str:
    """ui-tars' own re-insertion of the box tokens a server strips from a past answer."""
    _need("ui_tars", "ui-tars")
    from ui_tars.action_parser import add_box_token

    return str(add_box_token(text))


__all__ = ["MissingReference", "qwen_agent_sent", "uitars_add_box_token", "uitars_template",
           "versions"]
