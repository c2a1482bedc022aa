"""A real OpenAI-compatible HTTP server on 127.0.0.1 that answers from a script (for tests).

It speaks the chat-completions wire format the ``openai`` client and vLLM use, records every
request it receives, and answers each ``POST /v1/chat/completions`` with the next scripted
``Reply``: a completion (text and/or tool calls), an HTTP error (500, 429 with Retry-After, 401),
a slow answer (a client timeout), a malformed body, or a dropped connection. It is a test double
named for what it is: nothing here runs a model.

    with ScriptedServer(["<tool_call>...</tool_call>", Reply.error(429), "done"]) as server:
        client = OpenAI(base_url=server.url, api_key="x")
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) or a dropped connection is part of the script.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@dataclass
class Reply:
    """One scripted answer. Build it with the class methods, or pass a plain string (the text)."""

    content: str | None = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "arguments"}
    status: int = 200
    message: str = ""  # error message for status >= 400
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a client timeout when long)
    raw_body: bytes | None = None  # sent as is (a malformed body)
    drop: bool = False  # close the connection without answering
    finish_reason: str | None = None

    @classmethod
    def text(cls, content: str | None, **kw: Any) -> Reply:
        return cls(content=content, **kw)

    @classmethod
    def calls(cls, *calls: dict[str, Any], content: str | None = None) -> Reply:
        """Native tool calls: each ``{"name": ..., "arguments": dict or JSON string}``."""
        return cls(content=content, tool_calls=list(calls))

    @classmethod
    def error(cls, status: int, message: str = "", retry_after: float | None = None) -> Reply:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return cls(status=status, message=message or f"scripted error {status}", headers=headers)

    @classmethod
    def timeout(cls, seconds: float, content: str = "too late") -> Reply:
        return cls(content=content, delay=seconds)

    @classmethod
    def malformed(cls, body: bytes = b'{"choices": [{"message": ') -> Reply:
        return cls(raw_body=body)

    @classmethod
    def dropped(cls) -> Reply:
        return cls(drop=True)

    @classmethod
    def empty(cls) -> Reply:
        """A completion whose message has no content and no tool calls."""
        return cls(content=None)


Script = Iterable["Reply | str"] | Callable[[dict[str, Any]], "Reply | str"]


@dataclass
class Request:
    """What the server received: method, path, headers (names lower-cased), the JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return (self.body or {}).get("messages", [])

    def images(self) -> list[str]:
        """The image URLs (data URLs) of every message, in order."""
        out = []
        for m in self.messages:
            if isinstance(m.get("content"), list):
                out += [p["image_url"]["url"] for p in m["content"] if p.get("type") == "image_url"]
        return out


class ScriptedServer:
    """An OpenAI-compatible server on 127.0.0.1 (a free port) answering from ``script``.

    ``script`` is a list of replies used in order, or a function of the request body returning a
    reply. When a list runs out, ``default`` answers (by default a 400 saying so, which clients do
    not retry). ``api_key``: when set, requests without ``Authorization: Bearer <api_key>`` get 401.
    """

    def __init__(self, script: Script = (), *, default: Reply | str | None = None,
                 api_key: str | None = None, model: str = "scripted-model",
                 host: str = "127.0.0.1", port: int = 0):
        self._fn = script if callable(script) else None
        self._queue: list[Reply | str] = [] if callable(script) else list(script)
        self.default = default
        self.api_key = api_key
        self.model = model
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._counter = 0
        self._httpd = _QuietServer((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API base, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ScriptedServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True,
                                            name=f"scripted-openai-{self.port}")
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- script --------------------------------------------------------------------------------
    def push(self, *replies: Reply | str) -> None:
        """Append replies to the script."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def completions(self) -> list[Request]:
        """The chat-completion requests received so far."""
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def _next(self, body: Any) -> Reply:
        with self._lock:
            if self._fn is not None:
                reply = self._fn(body)
            elif self._queue:
                reply = self._queue.pop(0)
            elif self.default is not None:
                reply = self.default
            else:
                reply = Reply.error(400, "scripted server: no scripted reply left")
            self._counter += 1
        return Reply(content=reply) if isinstance(reply, str) else reply

    def _completion(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{self._counter}_{i}", "type": "function",
                 "function": {"name": c["name"],
                              "arguments": c["arguments"] if isinstance(c["arguments"], str)
                              else json.dumps(c["arguments"], ensure_ascii=False)}}
                for i, c in enumerate(reply.tool_calls)
            ]
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        text = reply.content or ""
        return {
            "id": f"chatcmpl-scripted-{self._counter}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(text.split()),
                      "total_tokens": len(text.split())},
        }

    # -- HTTP ----------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per reply, sent at once: unbuffered, the headers and the body went out
            # as two small writes and the second waited for the client's delayed ACK (Nagle's
            # algorithm) — about 40 ms on every reply. handle_one_request flushes the buffer.
            disable_nagle_algorithm = True
            wbufsize = 1 << 20

            def log_message(self, *args: Any) -> None:  # quiet: tests read .requests instead
                pass

            def _record(self, body: Any) -> None:
                with server._lock:
                    server.requests.append(Request(
                        self.command, self.path,
                        {k.lower(): v for k, v in self.headers.items()}, body))

            def _send(self, status: int, payload: Any = None, raw: bytes | None = None,
                      headers: dict[str, str] | None = None) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if server.api_key is None:
                    return True
                if self.headers.get("Authorization") == f"Bearer {server.api_key}":
                    return True
                self._send(401, {"error": {"message": "Incorrect API key provided.",
                                           "type": "invalid_request_error",
                                           "code": "invalid_api_key"}})
                return False

            def do_GET(self) -> None:  # noqa: N802
                self._record(None)
                if not self._authorised():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [
                        {"id": server.model, "object": "model", "owned_by": "vagent-tests"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = None
                self._record(body)
                if not self._authorised():
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if not isinstance(body, dict):
                    self._send(400, {"error": {"message": "request body is not a JSON object"}})
                    return
                reply = server._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    try:
                        import socket

                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if reply.raw_body is not None:
                    self._send(200, raw=reply.raw_body)
                elif reply.status >= 400:
                    self._send(reply.status, {"error": {"message": reply.message,
                                                        "type": "scripted_error",
                                                        "code": reply.status}},
                               headers=reply.headers)
                else:
                    self._send(200, server._completion(reply, body), headers=reply.headers)

        return Handler


__all__ = ["Reply", "Request", "ScriptedServer"]
