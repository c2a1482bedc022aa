"""Issue 17's promises, driven with generated bad inputs: every CLI command and loader answers a
bad file or option with one line and exit 1 (runtime) or 2 (usage), never a traceback, and
writes nothing outside --out; a refused action is a failed step, not the end of a run.

In-process through ``vagent.cli.main.run`` (hypothesis keeps few examples here; the by-hand
tests/fuzz/fuzz_cli.py tries thousands), with a few subprocess checks end to end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.badinputs import CASES, FIXED, HOSTILE_IDS, OPTION_CASES, deep, invoke

FEW = settings(max_examples=3, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8)

bad_files = st.one_of(
    st.binary(max_size=200),                                              # random bytes
    st.binary(min_size=1, max_size=40).map(lambda b: b"\xff" + b),        # invalid UTF-8
    st.integers(300, 20_000).map(deep),                                   # deep nesting
    json_values.map(lambda v: json.dumps(v).encode()),                    # wrong types
    st.sampled_from(FIXED),
)


def _check(argv: list[str], ok: tuple[int, ...] = (1, 2)) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outcome = invoke(argv, Path(tmp)) if isinstance(argv, list) else None
        assert outcome is not None
        assert not outcome.problems(ok), (argv, outcome.problems(ok), outcome.stderr)


@pytest.mark.parametrize("name", sorted(CASES))
@FEW
@given(content=bad_files)
def test_every_loader_refuses_a_bad_file_in_one_line(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sb = Path(tmp)
        outcome = invoke(CASES[name](sb, content), sb)
    # parse may read a valid call out of random text, and an empty predictions file is a valid
    # (empty) one; every other file here is bad
    # view shows what it can of a run (a page for a broken meta.json, not a refusal)
    ok = (0, 1, 2) if name in ("parse", "view meta.json") or not content.strip() else (1, 2)
    assert not outcome.problems(ok), (name, content[:80], outcome.problems(ok), outcome.stderr)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("content", [deep(), b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
                         ids=["deep-list", "deep-object"])
def test_every_loader_refuses_100k_deep_json(name: str, content: bytes) -> None:
    """Every loader meets the deepest nesting (the sampled cases above may not draw it):
    json would recurse past Python's limit — the one reader refuses it first."""
    with tempfile.TemporaryDirectory() as tmp:
        sb = Path(tmp)
        outcome = invoke(CASES[name](sb, content), sb)
    ok = (0, 1, 2) if name in ("parse", "view meta.json") else (1, 2)
    assert not outcome.problems(ok), (name, outcome.problems(ok), outcome.stderr)


@pytest.mark.parametrize(("argv", "value"), OPTION_CASES,
                         ids=[f"{' '.join(a[:2])} {a[-1]} {v}" for a, v in OPTION_CASES])
def test_out_of_range_options_are_usage_errors(argv: list[str], value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outcome = invoke([*argv, value], Path(tmp))
    assert not outcome.problems((2,)), (argv, value, outcome.stderr)


@FEW
@given(n=st.integers(max_value=0))
def test_generated_counts_below_one_are_usage_errors(n: int) -> None:
    for argv in (["run", "t", "--max-steps"], ["eval", "cards", "--episodes"],
                 ["eval", "fncall", "--episodes"], ["eval", "alfred", "--per-type"],
                 ["eval", "fncall", "--example-size"], ["eval", "vln", "--workers"]):
        with tempfile.TemporaryDirectory() as tmp:
            outcome = invoke([*argv, str(n)], Path(tmp))
        assert not outcome.problems((2,)), (argv, n, outcome.stderr)


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_stay_inside_out(hostile: str) -> None:
    """An fncall item id and an ALFRED task id name folders: never outside --out."""
    image_free = {"id": hostile, "question": "weather?", "tools": ["get_weather"],
                  "expected": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    with tempfile.TemporaryDirectory() as tmp:
        sb = Path(tmp)
        (sb / "in").mkdir()
        (sb / "in" / "set.jsonl").write_text(json.dumps(image_free) + "\n")
        outcome = invoke(["eval", "fncall", "--data", str(sb / "in" / "set.jsonl"),
                          "--out", str(sb / "out")], sb)
        assert not outcome.problems((0, 1)), (hostile, outcome.stderr)
        if outcome.code == 0:
            runs = list((sb / "out" / "runs").iterdir())
            assert len(runs) == 1 and runs[0].parent == sb / "out" / "runs"
    assert not Path("/tmp/vagent-absolute").exists()


# -- a refused action is a failed step ----------------------------------------------------------
def test_a_refused_action_is_a_failed_step_and_the_run_goes_on(tmp_path: Path) -> None:
    """The simulated phone refuses an unknown app and a key written in Arabic digits: each is a
    failed step in trajectory.jsonl, fed back to the model, and the run reaches its end."""
    from vagent import envs, policies
    from vagent.agent import Agent
    from vagent.agent.trajectory import Trajectory

    actions = [{"action": "open_app", "name": "NoSuchApp ✈"}, {"action": "key", "keys": ["١٢٣"]},
               {"action": "terminate", "status": "failure"}]
    (tmp_path / "a.json").write_text(json.dumps(actions, ensure_ascii=False))
    seen: list[list[str | None]] = []
    policy = policies.make("replay", actions=str(tmp_path / "a.json"))
    act = policy.act

    def watching(context):  # noqa: ANN001, ANN202 — what the model is told about earlier steps
        seen.append([v.error for v in context.steps])
        return act(context)

    policy.act = watching  # type: ignore[method-assign]
    env = envs.make("android-sim")
    try:
        traj = Agent(policy, env, out=tmp_path / "run", max_steps=5, parse_retries=0).run("x")
    finally:
        env.close()
    assert traj.result["reason"] == "terminated" and traj.result["steps"] == 3
    loaded = Trajectory.load(tmp_path / "run")
    assert len(loaded.steps) == 3
    assert "refused" in loaded.steps[0].error and "NoSuchApp" in loaded.steps[0].error
    assert "refused" in loaded.steps[1].error and "unknown key" in loaded.steps[1].error
    assert loaded.steps[2].error is None
    assert seen[1][0] == loaded.steps[0].error and seen[2][1] == loaded.steps[1].error


def test_non_ascii_digits_are_not_keycodes() -> None:
    from vagent.envs.android.env import KEY_NAMES

    assert "١" not in KEY_NAMES and not ("²".isascii() and "²".isdigit())


# -- parse validates against the space ----------------------------------------------------------
@pytest.mark.parametrize("text", ["Action: fly(to='moon')", "Action: wait(seconds=-5)",
                                  '<tool_call>{"name": "mobile_use", "arguments": '
                                  '{"action": "shell_exec", "cmd": "ls"}}</tool_call>'])
def test_parse_refuses_calls_outside_the_space(text: str, tmp_path: Path) -> None:
    outcome = invoke(["parse", text], tmp_path)
    assert outcome.code == 1 and not outcome.problems(), outcome.stderr
    lenient = invoke(["parse", "--lenient", text], tmp_path)
    assert lenient.code == 0 and json.loads(lenient.stdout)


def test_parse_space_desktop_has_no_open_app(tmp_path: Path) -> None:
    text = '{"action": "open_app", "name": "x"}'
    assert invoke(["parse", text, "--format", "json"], tmp_path).code == 0
    out = invoke(["parse", text, "--format", "json", "--space", "desktop"], tmp_path)
    assert out.code == 1 and "open_app" in out.stderr


# -- the top level ------------------------------------------------------------------------------
def test_an_internal_error_is_one_line_and_a_log(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    from vagent import envs

    def broken() -> list[str]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(envs, "names", broken)
    outcome = invoke(["envs"], tmp_path)
    assert outcome.code == 1 and len(outcome.stderr.strip().splitlines()) == 1
    assert "internal error (ZeroDivisionError: a bug)" in outcome.stderr
    log = Path(outcome.stderr.split("traceback in ")[1].split(" ")[0])
    try:
        assert "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()
    finally:
        log.unlink()


# -- sim phone paths ----------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--state-file", "--log"])
def test_sim_phone_unwritable_paths_fail_at_start(flag: str, tmp_path: Path) -> None:
    outcome = invoke(["sim", "phone", "--port", "0", flag, str(tmp_path)], tmp_path)
    assert outcome.code == 1 and "is a folder" in outcome.stderr and not outcome.problems()
    outcome = invoke(["sim", "phone", "--port", "0", flag, str(tmp_path / "no" / "f")],
                     tmp_path)
    assert outcome.code == 1 and "no folder" in outcome.stderr


# -- endpoints ----------------------------------------------------------------------------------
def test_url_credentials_never_shown_or_stored(tmp_path: Path) -> None:
    import socket

    from vagent import policies
    from vagent.actions.secrets import redact_url
    from vagent.agent.trajectory import redact

    assert redact_url("see http://user:SECRET@h:1/v1 and https://K@x") == \
        "see http://***@h:1/v1 and https://***@x"
    assert redact({"api_base": "http://u:SECRET@h/v1"}) == {"api_base": "http://***@h/v1"}
    with socket.socket() as listener:  # something listens: the start-up probe passes
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        policy = policies.make("openai", api_base=f"http://user:SECRET@127.0.0.1:{port}/v1",
                               model="m")
        assert "SECRET" not in json.dumps(policy.describe())
        policy.close()
    with pytest.raises(Exception) as e:  # nothing listens now: one line at start, no key
        policies.make("openai", api_base=f"http://user:SECRET@127.0.0.1:{port}/v1", model="m")
    assert "cannot reach http://***@127.0.0.1" in str(e.value) and "SECRET" not in str(e.value)


# -- desktop safety -----------------------------------------------------------------------------
def test_default_deny_lists() -> None:
    from vagent.envs.desktop.safety import DenyList, TextDenyList

    deny = DenyList()
    for chord in (["alt", "f4"], ["ctrl", "alt", "f1"], ["ctrl", "alt", "f7"], ["ctrl", "alt",
                                                                                "delete"]):
        assert deny.match(chord), chord
    assert deny.match(["ctrl", "c"]) is None and deny.match(["alt", "tab"]) is None
    text = TextDenyList()
    for bad in ("rm -rf ~", "sudo rm -r /", "mkfs.ext4 /dev/sda1", ":(){ :|:& };:",
                "dd if=/dev/zero of=/dev/sda", "shutdown now", "chmod -R 777 /"):
        assert text.match(bad), bad
    for fine in ("rm notes.txt", "hello world", "reboot my phone please", "ls -la"):
        assert text.match(fine) is None, fine
    assert TextDenyList("").match("rm -rf /") is None
    assert TextDenyList("default,drop table").match("DROP TABLE x")


def test_deny_text_commas_inside_a_pattern_stay_in_it() -> None:
    from vagent.envs.desktop.safety import TextDenyList

    # a repetition count and a character class hold commas; \, is a literal comma
    deny = TextDenyList(r"default,\d{3,4}-\d{2},[,;]\s*drop,a\,b")
    assert deny.match("pin 1234-56") == r"\d{3,4}-\d{2}"
    assert deny.match("x; DROP") == r"[,;]\s*drop" and deny.match("x, drop")
    assert deny.match("a,b") == "a,b" and deny.match("a b") is None
    assert deny.match("rm -rf ~")  # the defaults are still there
    assert len(list(deny)) == len(list(TextDenyList())) + 3


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append((int(stat.parent.name), name))
    return found


def _alive(pid: int) -> bool:
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not any(
    (Path(d) / "Xvfb").exists() for d in os.environ.get("PATH", "").split(os.pathsep)),
    reason="needs Linux and Xvfb")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_a_stopped_desktop_run_leaves_no_process(sig: int, tmp_path: Path, vagent_cmd,
                                                 subprocess_env) -> None:  # noqa: ANN001
    (tmp_path / "a.json").write_text(json.dumps([{"action": "wait", "seconds": 600}]))
    proc = subprocess.Popen([*vagent_cmd, "run", "wait", "--env", "desktop", "--xvfb",
                             "320x240", "--policy", "replay", "--actions",
                             str(tmp_path / "a.json"), "--out", str(tmp_path / "run")],
                            env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        xvfb: list[int] = []
        for _ in range(600):  # until the run has started Xvfb and taken its first step
            xvfb = [p for p, name in _children(proc.pid) if name == "Xvfb"]
            if xvfb and (tmp_path / "run" / "trajectory.jsonl").exists():
                break
            time.sleep(0.1)
        assert xvfb, "Xvfb never started"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        for _ in range(100):
            if not any(_alive(p) for p in xvfb):
                break
            time.sleep(0.1)
        assert not any(_alive(p) for p in xvfb), "Xvfb outlived the run"
        if sig != signal.SIGKILL:
            assert proc.returncode == 128 + sig and "Traceback" not in err
            assert err.strip().splitlines()[-1] == f"vagent: stopped by {signal.Signals(sig).name}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
