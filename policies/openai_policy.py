"""``--policy openai --api-base URL --model NAME``: any OpenAI-compatible chat-completions endpoint.

vLLM (``vllm serve Qwen/Qwen2-VL-7B-Instruct``), DashScope's compatible mode, OpenAI. Screenshots
are resized on this side to their smart_resize size (so the server's own resize is a no-op and the
model's coordinates are unambiguous) and sent as data URLs, each encoded once however many steps
it stays in the history. Retries with backoff on 429, 5xx, time-outs, malformed bodies and dropped
connections; when they run out the step is recorded as failed and the episode goes on. An
unreachable server, a refused key (401/403) or an unknown model (404) stop the run with one line.

The API key is read from the environment variable named by ``--api-key-env`` and lives only in
the HTTP client: it is never written to a trajectory, a log line or an error message.
One policy (and one HTTP client) may serve several episodes in parallel threads.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import random
import socket
import time
import weakref
from typing import Any, Literal

import numpy as np
from pydantic import Field

from vagent.actions import png
from vagent.actions.cache import LRU
from vagent.actions.context import png_bytes
from vagent.actions.coords import DEFAULT_MIN_PIXELS
from vagent.actions.errors import OptionError, VagentError
from vagent.actions.secrets import redact_url
from vagent.policies.history import ImagePart, Prompt

from . import formats
from .base import Context
from .model import ModelOptions, ModelPolicy, StepFailed, parse_options

log = logging.getLogger("vagent.policies.openai")

#: The model cards' upper bound: large enough to read a phone screen, and within every server's
#: default, so the server's resize does not change the image.
OPENAI_MAX_PIXELS = 1280 * 28 * 28


class OpenAIOptions(ModelOptions):
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = Field(0.0, ge=0)  # greedy by default
    timeout: float = Field(120.0, gt=0)  # seconds per request
    retries: int = Field(3, ge=0)  # after the first attempt
    backoff: float = Field(1.0, ge=0)  # seconds before the first retry; doubles each time
    image_format: Literal["png", "jpeg"] = "png"
    # vLLM drops special tokens from replies by default, and with them Qwen2-VL's
    # <|box_start|>…<|box_end|>. None: send skip_special_tokens=false with the box-token
    # formats (qwen2vl, uitars); false: send it always; true: never (the servers' default, for
    # a server that rejects the field).
    skip_special_tokens: bool | None = None

    # Ask the server to hold the answer to the format's call grammar (vLLM's structured outputs,
    # its xgrammar backend) or to the protocol's JSON schema (response_format): see
    # policies/constrain.py. Servers without structured outputs refuse or ignore it.
    constrain: bool = False


def default_key_env(api_base: str) -> str | None:
    """The usual variable for well-known services; None (no key) for a local server."""
    if "dashscope" in api_base:
        return "DASHSCOPE_API_KEY"
    if "api.openai.com" in api_base:
        return "OPENAI_API_KEY"
    return None


class ImageCache:
    """Data URLs of resized screenshots, by array identity: a screenshot is encoded once even
    though it stays in the history for several steps. Thread-safe; keeps the newest entries."""

    def __init__(self, size: int = 64):
        self._urls: LRU[tuple[np.ndarray, str]] = LRU(kept=size)

    @property
    def encoded(self) -> int:
        return self._urls.misses

    def url(self, part: ImagePart, fmt: str) -> str:
        # the entry holds the array itself, so its id cannot be reused while cached
        key = (id(part.array), part.width, part.height)
        return self._urls.get(key, lambda: (part.array, encode(part, fmt)))[1]


def encode(part: ImagePart, fmt: str = "png") -> str:
    """The screenshot resized to its smart_resize size, as a data URL."""
    from PIL import Image

    kept = png_bytes(part.array)
    if kept is not None and fmt == "png" and part.array.shape[:2] == (part.height, part.width):
        return "data:image/png;base64," + base64.b64encode(kept).decode("ascii")  # as it came
    img = Image.fromarray(part.array)
    if img.size != (part.width, part.height):
        img = img.resize((part.width, part.height), Image.Resampling.BICUBIC)
    if fmt == "jpeg":
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=90)
        data = buf.getvalue()
    else:
        data = png.encode(np.asarray(img.convert("RGB")))  # half Pillow's encoding time
    return f"data:image/{fmt};base64," + base64.b64encode(data).decode("ascii")


class OpenAIPolicy(ModelPolicy):
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    name = "openai"

    def __init__(self, client: Any = None, **options: Any):
        if not options.get("api_base"):
            raise VagentError("the openai policy needs --api-base URL "
                              "(e.g. http://127.0.0.1:8000/v1 for vLLM)")
        if not options.get("model"):
            raise VagentError("the openai policy needs --model NAME (the name the server "
                              "serves, e.g. Qwen/Qwen2-VL-7B-Instruct)")
        if "native_tools" in options:
            # Stock chat templates (Qwen2-VL's has no tools branch) would not render tools= as
            # the model was trained; the prompt text is rendered here, by the reference packages.
            raise VagentError("--opt native_tools was removed: the tools are in the prompt "
                              "as each model was trained (see docs/models-and-formats.md)")
        self.options = parse_options(OpenAIOptions, "openai", options)
        o: OpenAIOptions = self.options
        api_base = str(o.api_base).rstrip("/")
        # Shown in every message and stored in meta.json: never with a key written into it.
        self.api_base = redact_url(api_base)
        host, port = _endpoint(api_base, self.api_base)
        self.fmt = formats.get(o.format or formats.for_model(None, o.model or ""))
        self._min = o.min_pixels or DEFAULT_MIN_PIXELS
        self._max = o.max_pixels or OPENAI_MAX_PIXELS
        if self._min > self._max:
            raise VagentError(f"--min-pixels {self._min} is above --max-pixels {self._max}")
        self.key_env = o.api_key_env or default_key_env(api_base)
        key = "EMPTY"  # vLLM and most local servers take any key
        if self.key_env:
            key = os.environ.get(self.key_env) or ""
            if not key:
                raise VagentError(f"${self.key_env} is not set — export your API key in it "
                                  "(or name another variable with --api-key-env)")
        if client is None:
            import openai

            _reachable(host, port, self.api_base, min(o.timeout, 10.0))
            # Retries are ours (with the step-level policy above), not the client's.
            client = openai.OpenAI(base_url=api_base, api_key=key, timeout=o.timeout,
                                   max_retries=0)
        del key  # from here on the key lives only in the client
        self.client = client
        _LOG_SCRUBBER.watch(client)
        self.images = ImageCache()
        self._rng = random.Random(o.seed)

    # -- request -------------------------------------------------------------------------------
    def wire_messages(self, prompt: Prompt) -> list[dict[str, Any]]:
        fmt = self.options.image_format  # type: ignore[attr-defined]
        out: list[dict[str, Any]] = []
        for m in prompt.messages:
            msg: dict[str, Any] = {"role": m.role}
            if m.images:
                msg["content"] = [
                    {"type": "image_url", "image_url": {"url": self.images.url(p, fmt)}}
                    if isinstance(p, ImagePart) else {"type": "text", "text": p}
                    for p in m.parts if not (isinstance(p, str) and not p)]
            else:
                msg["content"] = m.text
            out.append(msg)
        return out

    def generate(self, prompt: Prompt, context: Context, timings: dict[str, float]) -> str:
        o: OpenAIOptions = self.options  # type: ignore[assignment]
        t = time.perf_counter()
        before = self.images.encoded
        messages = self.wire_messages(prompt)
        timings["preprocess"] = time.perf_counter() - t
        timings["images_encoded"] = float(self.images.encoded - before)
        request: dict[str, Any] = {"model": o.model, "messages": messages,
                                   "max_tokens": o.max_new_tokens, "temperature": o.temperature}
        stops = o.stops(self.fmt) if context.protocol is None else o.stops(formats.Format())
        if stops:
            request["stop"] = stops[:4]  # the API takes at most four
        if o.seed is not None:
            request["seed"] = o.seed
        skip = o.skip_special_tokens
        if skip is None and self.fmt.frame_kind == "rel1000" and context.protocol is None:
            skip = False
        if skip is False:
            request["extra_body"] = {"skip_special_tokens": False}
        if o.constrain:
            for key, value in self.structured(context).items():
                if key == "extra_body":
                    request.setdefault("extra_body", {}).update(value)
                else:
                    request[key] = value
        t = time.perf_counter()
        response = self._complete(request)
        timings["generate"] = time.perf_counter() - t
        try:
            message = response.choices[0].message
        except (AttributeError, IndexError, TypeError):
            raise StepFailed(f"{self.api_base} returned a completion without choices — check "
                             "the server's log") from None
        text = message.content or ""
        text = self._scrub(text)  # a server may quote the key back; the text is recorded
        if not text.strip():
            raise StepFailed(f"{self.api_base} returned an empty completion (no text, no tool "
                             f"calls) — check that {o.model!r} is a chat model and "
                             "--max-new-tokens is large enough")
        usage = getattr(response, "usage", None)
        if usage is not None and getattr(usage, "prompt_tokens", None):
            timings["prompt_len"] = float(usage.prompt_tokens)
        return text

    def structured(self, context: Context) -> dict[str, Any]:
        """The request fields that constrain the answer: the protocol's JSON schema as
        ``response_format``, else the format's grammar as vLLM's ``structured_outputs`` (EBNF in
        xgrammar's dialect, the same grammar the local policy uses)."""
        if context.protocol is not None:
            grammar = context.protocol.answer_grammar()
            if isinstance(grammar, dict):
                return {"response_format": {"type": "json_schema", "json_schema": {
                    "name": "answer", "schema": grammar, "strict": True}}}
            return {"extra_body": {"structured_outputs": {"grammar": grammar}}} if grammar else {}
        from .constrain import format_grammar

        grammar = format_grammar(self.fmt, context.space, context.screen, self.frame())
        return {"extra_body": {"structured_outputs": {"grammar": str(grammar)}}}

    def _complete(self, request: dict[str, Any]) -> Any:
        import openai

        o: OpenAIOptions = self.options  # type: ignore[assignment]
        attempts = o.retries + 1
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                return self.client.chat.completions.create(**request)
            except openai.AuthenticationError:
                where = f"${self.key_env}" if self.key_env else "--api-key-env VAR"
                raise VagentError(f"{self.api_base} refused the API key (401) — put a valid key "
                                  f"in {where}") from None
            except openai.PermissionDeniedError:
                raise VagentError(f"{self.api_base} denied access (403) — check that the key "
                                  f"may use {o.model!r}") from None
            except openai.NotFoundError:
                raise VagentError(f"{self.api_base} has no model {o.model!r} (404) — see "
                                  f"{self.api_base}/models for the served names") from None
            except openai.APITimeoutError:
                reason = f"no answer within {o.timeout:g} s"
            except openai.APIConnectionError as e:
                if _refused(e):
                    if attempt == attempts:
                        raise VagentError(f"cannot reach {self.api_base} — start the server "
                                          "(e.g. vllm serve MODEL) or fix --api-base") from None
                    reason = "connection refused"
                else:
                    reason = "the connection dropped"
            except openai.RateLimitError as e:
                reason = "rate limited (429)"
                retry_after = _retry_after(e.response)
            except openai.APIStatusError as e:
                if e.status_code < 500:
                    raise StepFailed(f"{self.api_base} rejected the request "
                                     f"({e.status_code}): {self._clean(e)}") from None
                reason = f"server error {e.status_code}"
                retry_after = _retry_after(e.response)
            except ValueError:  # the body was not JSON (a proxy's error page, a cut stream)
                reason = "a malformed response body"
            if attempt == attempts:
                raise StepFailed(f"{self.api_base}: {reason}, {attempts} attempts — the step "
                                 "failed") from None
            delay = retry_after if retry_after is not None else \
                o.backoff * 2 ** (attempt - 1) * (1 + 0.1 * self._rng.random())
            delay = min(delay, 60.0)
            log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", self.api_base, reason,
                        delay, attempt + 1, attempts)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def _clean(self, error: Any) -> str:
        """A server's error message on one line, without the key should a server echo it."""
        body = getattr(error, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        return self._scrub(" ".join(str(message or error.message or "").split()))[:200]

    def _scrub(self, text: str) -> str:
        key = _client_key(self.client)
        return text.replace(key, "***") if key else text

    def describe(self) -> dict[str, Any]:
        o: OpenAIOptions = self.options  # type: ignore[assignment]
        return {**super().describe(), "api_base": self.api_base, "key_from": self.key_env,
                "temperature": o.temperature}


def _client_key(client: Any) -> str | None:
    """The key a client sends (None for a keyless local server's placeholder)."""
    key = getattr(client, "api_key", None)
    return key if isinstance(key, str) and key and key != "EMPTY" else None


class _LogScrubber(logging.Filter):
    """Takes the keys of the watched clients out of the HTTP libraries' log records: at DEBUG,
    httpcore logs raw response headers, so a server that echoes the key would put it in the log.
    It holds the clients weakly and reads each key from its client when a record passes."""

    PREFIXES = ("httpcore", "httpx", "openai")

    def __init__(self) -> None:
        super().__init__()
        self.clients: weakref.WeakSet[Any] = weakref.WeakSet()

    def watch(self, client: Any) -> None:
        try:
            self.clients.add(client)
        except TypeError:  # an object that cannot be weakly referenced: nothing to scrub with
            return
        # a filter on a logger sees only that logger's own records, so each one gets it
        for name in list(logging.root.manager.loggerDict):
            if name.split(".")[0].startswith(self.PREFIXES):
                logger = logging.getLogger(name)
                if self not in logger.filters:
                    logger.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        keys = [k for k in map(_client_key, list(self.clients)) if k]
        if keys:
            text = record.getMessage()
            if any(k in text for k in keys):
                for k in keys:
                    text = text.replace(k, "***")
                record.msg, record.args = text, ()
        return True


_LOG_SCRUBBER = _LogScrubber()


def _endpoint(url: str, shown: str) -> tuple[str, int]:
    """The host and port of an endpoint URL, or one line saying it is not one."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise OptionError(f"--api-base {shown!r} is not a URL ({e}) — give e.g. "
                          "http://127.0.0.1:8000/v1") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"--api-base {shown!r} is not an http(s) URL — give e.g. "
                          "http://127.0.0.1:8000/v1")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _reachable(host: str, port: int, shown: str, timeout: float) -> None:
    """Fail at start, in one line, when nothing listens at the endpoint (rather than at every
    step, after its retries)."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror:
        raise VagentError(f"cannot reach {shown}: no host {host!r} — fix --api-base") from None
    except OSError as e:
        why = "" if isinstance(e, ConnectionRefusedError) else f" ({e.strerror or e})"
        raise VagentError(f"cannot reach {shown}{why} — start the server (e.g. vllm serve "
                          "MODEL) or fix --api-base") from None


def _refused(error: BaseException) -> bool:
    """Whether a connection error means nothing listens there (refused, unknown host), as opposed
    to a connection that was made and then dropped."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, (ConnectionRefusedError, socket.gaierror)) or \
                type(seen).__name__ == "ConnectError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(response: Any) -> float | None:
    try:
        value = response.headers.get("retry-after")
        return max(0.0, float(value)) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


__all__ = ["ImageCache", "OpenAIPolicy", "encode"]
