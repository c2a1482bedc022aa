"""Serving pages on 127.0.0.1 while a run or an evaluation is still being written.

Each request reads the folder afresh: ``…/`` and ``…/index.html`` are the page of that folder,
``…/live.json?n=N`` what a page showing N steps or episodes lacks (see ``pages.live``),
``/view/episode-N.html`` the page of an episode scored step by step, anything else a file inside
the served folder (screenshots, the JSON files). Outside the folder only ``/_image?path=`` goes,
and only for a screenshot that a step record of the evaluation names (AITZ's stay in the
dataset). Served to this machine only.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .pages import live, render, run_page
from .read import EPISODE_PAGES, ViewError, episode_run, images, kind, read_evaluation, step_records

EPISODE = re.compile(rf"/{EPISODE_PAGES}/episode-(\d+)\.html")
# Files a page links to; nothing else leaves the folder.
SERVED = {".png", ".jpg", ".jpeg", ".webp", ".json", ".jsonl", ".md", ".txt"}


class _Handler(BaseHTTPRequestHandler):
    root: Path  # set on the subclass that serve() makes

    def log_message(self, format: str, *args: object) -> None:
        pass  # polling twice a second would bury the terminal

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _fail(self, status: int, message: str) -> None:
        self._send(status, message.encode("utf-8"), "text/plain; charset=utf-8")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and not target.is_relative_to(self.root):
            return self._fail(HTTPStatus.NOT_FOUND, "outside the served folder")
        try:
            if path == "/_image":
                return self._outside_image(url.query)
            episode = EPISODE.fullmatch(path)
            if episode:
                return self._episode(int(episode[1]))
            if path.endswith("/") or target.name == "index.html":
                folder = target if path.endswith("/") else target.parent
                return self._send(HTTPStatus.OK, render(folder).encode("utf-8"),
                                  "text/html; charset=utf-8")
            if target.name == "live.json":
                try:
                    n = int(parse_qs(url.query).get("n", ["0"])[0])
                except ValueError:
                    return self._fail(HTTPStatus.BAD_REQUEST, "n must be a whole number")
                body = json.dumps(live(target.parent, n), ensure_ascii=False).encode("utf-8")
                return self._send(HTTPStatus.OK, body, "application/json")
        except ViewError as e:
            return self._fail(HTTPStatus.NOT_FOUND, str(e))
        if target.is_dir():
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", url.path + "/")
            self.end_headers()
            return None
        if target.suffix.lower() not in SERVED or not target.is_file():
            return self._fail(HTTPStatus.NOT_FOUND, "no such file")
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, target.read_bytes(), ctype)


    def _episode(self, index: int) -> None:
        ev = read_evaluation(self.root) if kind(self.root) == "evaluation" else None
        if ev is None or index >= len(ev.episodes) or step_records(ev.episodes[index]) is None:
            return self._fail(HTTPStatus.NOT_FOUND, "no such episode")
        page = run_page(episode_run(ev, index, served=True))
        return self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _outside_image(self, query: str) -> None:
        """A screenshot outside the folder, only when a step record of this evaluation names
        it (AITZ's screenshots stay in the dataset)."""
        path = Path(parse_qs(query).get("path", [""])[0]).resolve()
        if (kind(self.root) != "evaluation" or path.suffix.lower() not in SERVED
                or path not in images(read_evaluation(self.root)) or not path.is_file()):
            return self._fail(HTTPStatus.NOT_FOUND, "no such image")
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, path.read_bytes(), ctype)


def make_server(folder: str | Path, port: int = 0) -> ThreadingHTTPServer:
    """A server of ``folder`` on 127.0.0.1:``port`` (0: any free port), not yet serving."""
    handler = type("Handler", (_Handler,), {"root": Path(folder).resolve()})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def serve(folder: str | Path, port: int = 0,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``folder`` until interrupted; ``on_ready`` gets the page's URL once it listens."""
    with make_server(folder, port) as server:
        host, real_port = server.server_address[:2]
        if on_ready is not None:
            on_ready(f"http://{host}:{real_port}/")
        server.serve_forever(poll_interval=0.2)
