"""The API key lives only in the HTTP client: a real local server echoes it back in completion
bodies, response headers and error messages, every logger runs at DEBUG, and the key must then
appear in no file the run wrote, no captured stream or log record, no error message, and nothing
the policy object holds outside its client."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vagent import envs
from vagent import policies
from vagent.actions.errors import VagentError
from vagent.agent import Agent, Trajectory
from vagent.policies.scripted_server import Reply, ScriptedServer

SECRET = "sk-echoed-3c1f7a9e0b5d42"
OK_CALL = ('<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", '
           '"coordinate": [121, 171]}}\n</tool_call>')
DONE_CALL = ('<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate", '
             '"status": "success"}}\n</tool_call>')


def echoing(server_box: list[ScriptedServer]) -> Any:
    """A script that reads the key from each request's Authorization header and sends it back:
    a 500 and a 429 (retried), a completion that quotes it, a 400 (the step fails), a last
    completion; every reply also carries it in a response header."""

    def reply(body: dict[str, Any]) -> Reply:
        server = server_box[0]
        key = server.requests[-1].headers.get("authorization", "").removeprefix("Bearer ")
        echo = {"X-Echo-Key": key, "X-Echo-Auth": f"Bearer {key}"}
        n = len(server.completions)
        if n == 1:
            return Reply(status=500, message=f"upstream failed for key {key}", headers=echo)
        if n == 2:
            return Reply(status=429, message=f"too many requests for {key}",
                         headers={**echo, "Retry-After": "0"})
        if n == 3:
            return Reply(content=f"Your key is {key}. The OK button.\n{OK_CALL}", headers=echo)
        if n == 4:
            return Reply(status=400, message=f"invalid request: api_key={key} is not allowed "
                         "to send images", headers=echo)
        return Reply(content=f"{DONE_CALL}\n{key}", headers=echo)

    return reply


def _start(api_key: str | None = None) -> ScriptedServer:
    box: list[ScriptedServer] = []
    server = ScriptedServer(echoing(box), api_key=api_key)
    box.append(server)
    return server.start()


def _reachable_outside(obj: Any, skip: Any) -> list[str]:
    """Paths to every string reachable from ``obj`` through attributes and containers, leaving
    out ``skip`` (the HTTP client) and modules, classes and functions."""
    found, seen, todo = [], set(), [("policy", obj)]
    while todo:
        path, o = todo.pop()
        if id(o) in seen or o is skip:
            continue
        seen.add(id(o))
        if isinstance(o, str):
            found.append((path, o))
        elif isinstance(o, bytes):
            found.append((path, o.decode("latin-1")))
        elif isinstance(o, dict):
            todo += [(f"{path}[{k!r}]", v) for k, v in o.items()]
            todo += [(f"{path}.key", k) for k in o]
        elif isinstance(o, (list, tuple, set, frozenset)):
            todo += [(f"{path}[{i}]", v) for i, v in enumerate(o)]
        elif hasattr(o, "__dict__") and not isinstance(o, type) and not callable(o):
            todo += [(f"{path}.{k}", v) for k, v in vars(o).items()]
            for k in getattr(type(o), "__slots__", ()):
                if hasattr(o, k):
                    todo.append((f"{path}.{k}", getattr(o, k)))
    return [p for p, s in found if SECRET in s]


def test_an_echoed_key_is_never_written_logged_or_held(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VAGENT_ECHO_KEY", SECRET)
    caplog.set_level(logging.DEBUG)  # the root and every library logger under it
    server = _start()
    try:
        policy = policies.make("openai", api_base=server.url, model="Qwen/Qwen2.5-VL-7B-Instruct",
                               format="qwen25vl", backoff=0, api_key_env="VAGENT_ECHO_KEY")
        Agent(policy, envs.make("buttons"), out=tmp_path / "run", max_steps=4,
              parse_retries=0).run("click the OK button")
    finally:
        server.stop()
    # the server did see the key, and did echo it on every answer
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in server.completions)
    assert len(server.completions) == 5
    steps = Trajectory.load(tmp_path / "run").steps
    assert steps[0].action["action"] == "click" and "***" in steps[0].raw
    assert steps[1].error is not None and "(400)" in steps[1].error and "***" in steps[1].error
    assert steps[2].action["action"] == "terminate"
    # the httpx / openai debug lines were captured: the check below reads real log output
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert "retrying" in caplog.text

    streams = capfd.readouterr()
    assert SECRET not in streams.out and SECRET not in streams.err
    assert SECRET not in caplog.text
    for record in caplog.records:
        assert SECRET not in record.getMessage() and SECRET not in repr(record.args)
    for f in (tmp_path / "run").rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f
    assert SECRET not in json.dumps(policy.describe())
    assert SECRET not in repr(policy) and SECRET not in str(policy)
    # the policy keeps the key nowhere but in its HTTP client
    assert _reachable_outside(policy, skip=policy.client) == []
    assert policy.client.api_key == SECRET  # (and the search above can find it: it is there)
    assert _reachable_outside(policy, skip=None) != []


def test_a_refused_key_echoed_in_the_401_is_not_repeated(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("VAGENT_ECHO_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    server = ScriptedServer([Reply(status=401, message=f"Incorrect API key provided: {SECRET}",
                                   headers={"X-Echo-Key": SECRET})]).start()
    try:
        policy = policies.make("openai", api_base=server.url, model="m", format="qwen25vl",
                               backoff=0, api_key_env="VAGENT_ECHO_KEY")
        with pytest.raises(VagentError) as e:
            Agent(policy, envs.make("buttons"), out=tmp_path / "run", max_steps=1).run("x")
    finally:
        server.stop()
    assert "refused the API key (401)" in str(e.value) and SECRET not in str(e.value)
    assert SECRET not in caplog.text
    for f in (tmp_path / "run").rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f


def test_cli_run_with_debug_logging_never_prints_the_key(tmp_path: Path,
                                                         subprocess_env: dict[str, str]) -> None:
    """The same echoing server behind ``vagent run``, with logging at DEBUG in the process."""
    server = _start()
    debug_cli = ("import logging, sys; logging.basicConfig(level=logging.DEBUG); "
                 "from vagent.cli.main import main; sys.argv[0] = 'vagent'; main()")
    try:
        r = subprocess.run([sys.executable, "-c", debug_cli, "run", "click the OK button",
                            "--env", "buttons", "--policy", "openai", "--api-base", server.url,
                            "--model", "Qwen/Qwen2.5-VL-7B-Instruct", "--format", "qwen25vl",
                            "--api-key-env", "VAGENT_ECHO_KEY", "--opt", "backoff=0",
                            "--max-steps", "4", "--out", str(tmp_path / "run")],
                           capture_output=True, text=True, timeout=300,
                           env={**subprocess_env, "VAGENT_ECHO_KEY": SECRET})
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(server.completions) == 5 and "DEBUG" in r.stderr
    assert SECRET not in r.stdout and SECRET not in r.stderr
    for f in (tmp_path / "run").rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f
