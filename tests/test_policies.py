"""The model policies end to end on the built-in buttons env: the tiny local checkpoints, and the
openai policy against the scripted server (outputs in each format, server failures)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image

from vagent import envs
from vagent import policies
from vagent.actions.errors import ParseError, VagentError
from vagent.agent import Agent, Trajectory
from vagent.actions.context import Context
from vagent.actions.protocol import Protocol
from vagent.policies.scripted_server import Reply

# The buttons screen is 640×400; at the openai policy's default pixels the model sees 644×392.
OK = (120, 175)  # centre of the OK button
FIELD = (320, 95)  # centre of the text field
RESIZED = (644, 392)


def resized(x: int, y: int) -> list[int]:
    """A screen point in Qwen2.5-VL's frame (pixels of the 644×392 image), rounded."""
    return [round(x * RESIZED[0] / 640), round(y * RESIZED[1] / 400)]


def rel(x: int, y: int) -> tuple[int, int]:
    """A screen point in the [0, 1000) frame."""
    return round(x * 1000 / 640), round(y * 1000 / 400)


def to_screen_resized(p: list[int]) -> tuple[int, int]:
    import math

    f = lambda v: int(math.floor(v + 0.5))  # noqa: E731
    return f(p[0] / RESIZED[0] * 640), f(p[1] / RESIZED[1] * 400)


# -- the local policy with the tiny checkpoints ---------------------------------------------------

@pytest.mark.parametrize("fixture", ["tiny_qwen2vl", "tiny_qwen25vl"])
def test_tiny_checkpoint_runs_an_episode(fixture: str, request: pytest.FixtureRequest,
                                         tmp_path: Path) -> None:
    path = request.getfixturevalue(fixture)
    policy = policies.make("qwen-vl", model=str(path), max_new_tokens=12,
                           max_pixels=128 * 28 * 28, keep_images=2)
    expected = "qwen2vl" if fixture == "tiny_qwen2vl" else "qwen25vl"
    assert policy.describe()["format"] == expected
    assert policy.describe()["dtype"] == "float32" and policy.describe()["attn"] == "sdpa"
    traj = Agent(policy, envs.make("buttons"), out=tmp_path, max_steps=3, parse_retries=0).run(
        "click the OK button")
    back = Trajectory.load(tmp_path)
    assert len(back.steps) == len(traj.steps) >= 1
    for rec in back.steps:
        # random weights: whatever came out is recorded as the format's parser reads it
        assert rec.attempts == 1
        try:
            parsed = policy.fmt.parse(rec.raw, policy.frame())
        except ParseError as e:
            assert rec.error == str(e) and rec.calls == []
        else:
            assert rec.calls == parsed.calls and rec.thought == parsed.thought
        assert rec.timings["generate"] > 0 and rec.timings["prompt_len"] > 0
        assert 0 < rec.timings["generated_len"] <= 12
    # the prompt grows with the history: step 1 sees step 0's screenshot and answer
    if len(back.steps) > 1:
        assert back.steps[1].timings["prompt_len"] > back.steps[0].timings["prompt_len"]
    # greedy decoding: the same episode again writes the same text
    again = Agent(policy, envs.make("buttons"), out=tmp_path / "again", max_steps=3,
                  parse_retries=0).run("click the OK button")
    assert [s.raw for s in again.steps] == [s.raw for s in back.steps]
    policy.close()


def test_local_policy_one_line_errors(tmp_path: Path, tiny_qwen2vl: Path) -> None:
    with pytest.raises(VagentError, match="needs --model"):
        policies.make("qwen-vl")
    with pytest.raises(VagentError, match="no checkpoint at ./nowhere/model"):
        policies.make("qwen-vl", model="./nowhere/model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VagentError, match="has no config.json"):
        policies.make("qwen-vl", model=str(tmp_path / "empty"))
    llama = tmp_path / "llama"
    llama.mkdir()
    (llama / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(VagentError, match="is a llama checkpoint — the qwen-vl policy runs "
                                          "Qwen2-VL and Qwen2.5-VL"):
        policies.make("qwen-vl", model=str(llama))
    with pytest.raises(VagentError, match="unknown option 'temprature'"):
        policies.make("qwen-vl", model=str(tiny_qwen2vl), temprature="0.3")
    with pytest.raises(VagentError, match="unknown prompt format 'llava'"):
        policies.make("qwen-vl", model=str(tiny_qwen2vl), format="llava")
    with pytest.raises(VagentError) as err:
        policies.make("qwen-vl", model=str(llama))
    assert "\n" not in str(err.value)


def test_local_stop_strings_and_options(tiny_qwen2vl: Path) -> None:
    pol = policies.make("qwen-vl", model=str(tiny_qwen2vl), min_pixels=4 * 28 * 28,
                        max_pixels=64 * 28 * 28, stop="END|✿RETURN✿", max_new_tokens="5")
    assert pol.options.max_new_tokens == 5  # --opt strings are coerced
    assert pol.options.stops(pol.fmt) == ["✿RESULT✿", "✿RETURN✿", "END"]
    assert pol.processor.image_processor.size == {"shortest_edge": 4 * 28 * 28,
                                                  "longest_edge": 64 * 28 * 28}
    assert pol.frame().kind == "rel1000"


# -- the openai policy against the scripted server ------------------------------------------------

def _policy(server, fmt: str, **kw) -> policies.Policy:  # noqa: ANN001
    return policies.make("openai", api_base=server.url, model="Qwen/Qwen2.5-VL-7B-Instruct",
                         format=fmt, backoff=0, **kw)


SCRIPTS = {
    "qwen25vl": [
        "The OK button is on the left.\n<tool_call>\n" + json.dumps(
            {"name": "computer_use", "arguments": {"action": "left_click",
                                                   "coordinate": resized(*OK)}}) + "\n</tool_call>",
        "<tool_call>\n" + json.dumps({"name": "computer_use", "arguments": {
            "action": "terminate", "status": "success"}}) + "\n</tool_call>",
    ],
    "qwen2vl": [
        "I click OK.\n✿FUNCTION✿: computer_use\n✿ARGS✿: " + json.dumps(
            {"action": "left_click", "target": "<|object_ref_start|>OK<|object_ref_end|>"
             "<|box_start|>({},{}),({},{})<|box_end|>".format(*rel(40, 150), *rel(200, 200))}),
        "✿FUNCTION✿: computer_use\n✿ARGS✿: {\"action\": \"terminate\", \"status\": \"success\"}",
    ],
    "uitars": [
        "Thought: The OK button is green.\nAction: click(start_box='<|box_start|>({},{})"
        "<|box_end|>')".format(*rel(*OK)),
        "Thought: Done.\nAction: finished()",
    ],
}


@pytest.mark.parametrize("fmt", sorted(SCRIPTS))
def test_openai_scripted_outputs_are_executed(fmt: str, openai_server,  # noqa: ANN001
                                             tmp_path: Path) -> None:
    server = openai_server(SCRIPTS[fmt])
    policy = _policy(server, fmt)
    traj = Agent(policy, envs.make("buttons"), out=tmp_path, max_steps=4).run(
        "click the OK button")
    assert traj.success is True, [s.error for s in traj.steps]
    steps = Trajectory.load(tmp_path).steps
    click = steps[0].action
    assert click["action"] == "click" and steps[0].error is None
    if fmt == "qwen25vl":
        assert (click["x"], click["y"]) == to_screen_resized(resized(*OK)) == (120, 176)
    elif fmt == "qwen2vl":  # the centre of the box
        assert (click["x"], click["y"]) == OK
    else:
        assert (click["x"], click["y"]) == OK
    assert steps[-1].action["action"] == "terminate"

    first, second = server.completions[:2]
    system = first.messages[0]["content"]
    if fmt == "qwen25vl":
        assert "The screen's resolution is 644x392" in system and "<tools>" in system
    if fmt == "qwen2vl":
        assert "✿FUNCTION✿" in system and first.body["stop"] == ["✿RESULT✿", "✿RETURN✿"]
    # The screenshot goes at its smart_resize size, as a data URL, encoded once: the second
    # request carries the first step's image unchanged plus the new one.
    urls1, urls2 = first.images(), second.images()
    assert len(urls1) == 1 and len(urls2) == 2 and urls2[0] == urls1[0]
    png = base64.b64decode(urls1[0].split(",", 1)[1])
    assert Image.open(io.BytesIO(png)).size == RESIZED
    assert steps[1].timings["images_encoded"] == 1
    assert first.body["temperature"] == 0 and first.body["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    # the model's own answer is in the second request's history
    if fmt == "qwen2vl":  # Qwen-Agent's rendering: the thought, then the call as parsed
        said = ["".join(p.get("text", "") for p in m["content"]) if isinstance(
            m["content"], list) else m["content"] for m in second.messages]
        assert any("I click OK.\n✿FUNCTION✿: computer_use\n✿ARGS✿: " in t for t in said)
    else:
        assert any(m["role"] == "assistant" and m["content"] == SCRIPTS[fmt][0]
                   for m in second.messages)


def test_openai_type_and_submit_flow(openai_server, tmp_path: Path) -> None:  # noqa: ANN001
    def call(**args) -> str:  # noqa: ANN003
        return "<tool_call>\n" + json.dumps({"name": "computer_use", "arguments": args}) + \
            "\n</tool_call>"

    server = openai_server([
        call(action="left_click", coordinate=resized(*FIELD)),
        call(action="type", text="hel'lo \"x\""),
        call(action="key", keys=["backspace"]),
        call(action="terminate", status="failure"),
    ])
    Agent(_policy(server, "qwen25vl"), envs.make("buttons"), out=tmp_path, max_steps=4).run(
        "type hello and submit")
    steps = Trajectory.load(tmp_path).steps
    assert [s.action["action"] for s in steps] == ["click", "type", "key", "terminate"]
    assert steps[1].action["text"] == "hel'lo \"x\""
    # what step 2 saw: the typed text, quotes and all, in the field
    assert "field: 'hel\\'lo \"x\"'" in steps[2].observation_text, steps[2].observation_text


def test_openai_retries_429_then_succeeds(openai_server, tmp_path: Path) -> None:  # noqa: ANN001
    server = openai_server([Reply.error(429, retry_after=0), Reply.error(503), Reply.dropped(),
                            Reply.malformed(), SCRIPTS["qwen25vl"][0], SCRIPTS["qwen25vl"][1]])
    # four transient failures in a row, four retries: the first step still succeeds
    traj = Agent(_policy(server, "qwen25vl", retries=4), envs.make("buttons"), out=tmp_path,
                 max_steps=3).run("click the OK button")
    assert traj.success is True
    assert len(server.completions) == 6
    assert traj.steps[0].error is None and traj.steps[0].attempts == 1


def test_openai_500_forever_fails_steps_but_episode_goes_on(openai_server,  # noqa: ANN001
                                                           tmp_path: Path) -> None:
    server = openai_server(default=Reply.error(500, "model crashed"))
    traj = Agent(_policy(server, "qwen25vl", retries=2), envs.make("buttons"), out=tmp_path,
                 max_steps=2, parse_retries=1).run("click the OK button")
    steps = Trajectory.load(tmp_path).steps
    assert len(steps) == 2 and traj.meta["result"]["reason"] == "max_steps"
    for s in steps:
        assert s.action is None
        assert s.error == f"{server.url}: server error 500, 3 attempts — the step failed"
    # 2 steps × 3 HTTP attempts: a failed request is not asked again by the parse retry
    assert len(server.completions) == 6
    assert all(s.attempts == 1 for s in steps)
    # the server failure was not passed to the model as feedback
    assert all("server error" not in json.dumps(r.messages) for r in server.completions)


def test_openai_empty_completion_is_a_failed_step(openai_server,  # noqa: ANN001
                                                 tmp_path: Path) -> None:
    server = openai_server([Reply.empty(), Reply.empty()])
    Agent(_policy(server, "qwen25vl"), envs.make("buttons"), out=tmp_path, max_steps=1).run("x")
    err = Trajectory.load(tmp_path).steps[0].error
    assert "returned an empty completion" in err and "\n" not in err


def test_openai_timeout_is_retried(openai_server, tmp_path: Path) -> None:  # noqa: ANN001
    server = openai_server([Reply.timeout(1.0), SCRIPTS["uitars"][0]])
    Agent(_policy(server, "uitars", timeout=0.3), envs.make("buttons"), out=tmp_path,
          max_steps=1).run("click the OK button")
    assert Trajectory.load(tmp_path).steps[0].action["x"] == OK[0]


def test_openai_401_one_line_without_the_key(openai_server, tmp_path: Path,  # noqa: ANN001
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-very-secret-0123456789"
    monkeypatch.setenv("VAGENT_TEST_KEY", secret)
    server = openai_server(["unused"], api_key="the-right-key")
    policy = _policy(server, "qwen25vl", api_key_env="VAGENT_TEST_KEY")
    with pytest.raises(VagentError) as e:
        Agent(policy, envs.make("buttons"), out=tmp_path, max_steps=1).run("x")
    msg = str(e.value)
    assert msg == f"{server.url} refused the API key (401) — put a valid key in $VAGENT_TEST_KEY"
    assert server.completions[0].headers["authorization"] == f"Bearer {secret}"
    for f in tmp_path.iterdir():
        assert secret not in f.read_text(errors="ignore")
    monkeypatch.delenv("VAGENT_TEST_KEY")
    with pytest.raises(VagentError, match=r"\$VAGENT_TEST_KEY is not set"):
        _policy(server, "qwen25vl", api_key_env="VAGENT_TEST_KEY")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_openai_unreachable_server(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(VagentError) as e:  # at start, not after every step's retries
        policies.make("openai", api_base=url, model="m", backoff=0, retries=1)
    assert str(e.value) == (f"cannot reach {url} — start the server (e.g. vllm serve MODEL) "
                            "or fix --api-base")
    with pytest.raises(VagentError, match="needs --api-base"):
        policies.make("openai", model="m")
    with pytest.raises(VagentError, match="needs --model"):
        policies.make("openai", api_base=url)


def test_cli_unreachable_is_one_line(vagent_cmd, subprocess_env) -> None:  # noqa: ANN001
    url = f"http://127.0.0.1:{_free_port()}/v1"
    proc = subprocess.run([*vagent_cmd, "run", "click the OK button", "--policy", "openai",
                           "--api-base", url, "--model", "m", "--max-steps", "1",
                           "--opt", "retries=0", "--out", "/tmp/vagent-cli-unreachable"],
                          capture_output=True, text=True, env=subprocess_env, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"vagent: cannot reach {url} — start the server (e.g. vllm serve MODEL) or fix "
        "--api-base")
    assert "Traceback" not in proc.stderr


def test_openai_native_tools_is_refused_in_one_line(openai_server) -> None:  # noqa: ANN001
    """native_tools was removed: the stock chat templates do not render tools= as the models
    were trained, so the prompt always carries them (docs/models-and-formats.md)."""
    server = openai_server([])
    with pytest.raises(VagentError, match="native_tools was removed"):
        _policy(server, "qwen25vl", native_tools=True)


def test_openai_box_token_formats_keep_special_tokens(openai_server,  # noqa: ANN001
                                                     tmp_path: Path) -> None:
    """vLLM strips special tokens from replies unless told not to: the box-token formats ask
    for them (skip_special_tokens=false), the others send nothing."""
    for fmt, expected in (("qwen2vl", False), ("uitars", False), ("qwen25vl", None)):
        server = openai_server(SCRIPTS[fmt])
        Agent(_policy(server, fmt), envs.make("buttons"), out=tmp_path / fmt,
              max_steps=1).run("click the OK button")
        assert server.completions[0].body.get("skip_special_tokens") is expected, fmt


def test_one_policy_serves_episodes_in_parallel(openai_server,  # noqa: ANN001
                                                tmp_path: Path) -> None:
    """Three threads share one policy (one HTTP client); each episode gets its own answers."""

    def answer(body: dict) -> str:
        turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
        return SCRIPTS["qwen25vl"][min(turns, 1)]

    server = openai_server(answer)
    policy = _policy(server, "qwen25vl")
    results: dict[int, bool | None] = {}

    def run(i: int) -> None:
        traj = Agent(policy, envs.make("buttons"), out=tmp_path / str(i), max_steps=3).run(
            "click the OK button")
        results[i] = traj.success

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {0: True, 1: True, 2: True}
    assert len(server.completions) == 6


class LetterProtocol(Protocol):
    """A benchmark protocol: its own system text and prompt, and a one-letter answer."""

    name = "letters"
    system = "Answer with one letter."

    def prompt(self, context: Context) -> list:
        return ["Which button is OK? A) left B) right", context.observation["screenshot"]]

    def parse(self, text: str):  # noqa: ANN201
        from vagent.actions.parsing import Parsed

        return Parsed(thought="", calls=[{"action": "click", "x": 120 if "A" in text else 500,
                                          "y": 175}], format="letters")


def test_protocol_overrides_the_format(openai_server, tmp_path: Path) -> None:  # noqa: ANN001
    server = openai_server(["A"])
    env = envs.make("buttons")
    env.unwrapped.protocol = LetterProtocol()
    Agent(_policy(server, "qwen25vl"), env, out=tmp_path, max_steps=1).run("click the OK button")
    req = server.completions[0]
    assert req.messages[0] == {"role": "system", "content": "Answer with one letter."}
    parts = req.messages[1]["content"]
    assert parts[0] == {"type": "text", "text": "Which button is OK? A) left B) right"}
    assert parts[1]["type"] == "image_url"
    assert "stop" not in req.body and "<tools>" not in json.dumps(req.messages)
    assert Trajectory.load(tmp_path).steps[0].action["x"] == 120


def test_secret_never_in_describe_or_logs(openai_server, tmp_path: Path,  # noqa: ANN001
                                          monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-another-secret-987"
    monkeypatch.setenv("MY_KEY", secret)
    server = openai_server([Reply.error(429, retry_after=0), SCRIPTS["qwen25vl"][0]])
    policy = _policy(server, "qwen25vl", api_key_env="MY_KEY")
    with caplog.at_level("WARNING"):
        Agent(policy, envs.make("buttons"), out=tmp_path, max_steps=1).run("x")
    assert "retrying" in caplog.text and secret not in caplog.text
    assert secret not in json.dumps(policy.describe())
    for f in tmp_path.iterdir():
        assert secret.encode() not in f.read_bytes()


def test_format_auto_pick() -> None:
    from vagent.policies.formats import for_model

    assert for_model("qwen2_vl", "Qwen/Qwen2-VL-7B-Instruct") == "qwen2vl"
    assert for_model("qwen2_5_vl", "x") == "qwen25vl"
    assert for_model("qwen2_vl", "bytedance-research/UI-TARS-7B-SFT") == "uitars"
    assert for_model(None, "Qwen/Qwen2-VL-72B-Instruct") == "qwen2vl"
    assert for_model(None, "qwen-vl-max") == "qwen25vl"


def test_uitars_15_answers_in_resized_pixels() -> None:
    from vagent.actions import get_space
    from vagent.policies import formats

    for_model = formats.for_model
    assert for_model("qwen2_vl", "bytedance-research/UI-TARS-7B-SFT") == "uitars"
    assert for_model(None, "bytedance-research/UI-TARS-72B-DPO") == "uitars"
    assert for_model("qwen2_5_vl", "ByteDance-Seed/UI-TARS-1.5-7B") == "uitars15"
    assert for_model(None, "ui-tars") == "uitars15"  # the deployment guide's served name
    v1, v15 = formats.get("uitars"), formats.get("uitars15")
    assert (v1.frame().kind, v15.frame().kind) == ("rel1000", "resized")
    space = get_space("desktop")
    text = v15.system("t", space, (1920, 1080), v15.frame(max_pixels=1280 * 28 * 28))
    assert "click(point='<point>x1 y1</point>')" in text
    assert "drag(start_point='<point>x1 y1</point>', end_point='<point>x2 y2</point>')" in text
    assert "<|box_start|>" not in text
    assert "<|box_start|>(x1,y1)<|box_end|>" in v1.system("t", space, (1920, 1080), v1.frame())
    # the same answer maps by the format's frame, whatever the model's name
    answer = "Thought: t\nAction: click(start_box='(500,500)')"
    assert v1.parse(answer, v1.frame()).frame.kind == "rel1000"
    assert v15.parse(answer, v15.frame()).frame.kind == "resized"


def test_openai_drives_the_simulated_phone(openai_server, android_env, sim_phone,  # noqa: ANN001
                                           tmp_path: Path) -> None:
    """mobile_use on a 1080×2400 phone: the model sees 672×1484 (max 1280·28²), says so in the
    tool description, and its coordinates land on the phone's pixels over the ADB wire."""

    def call(**args) -> str:  # noqa: ANN003
        return "<tool_call>\n" + json.dumps({"name": "mobile_use", "arguments": args}) + \
            "\n</tool_call>"

    server = openai_server([call(action="click", coordinate=[336, 742]),
                            call(action="system_button", button="Home"),
                            call(action="terminate", status="success")])
    traj = Agent(_policy(server, "qwen25vl"), android_env, out=tmp_path, max_steps=4).run(
        "go to the home screen")
    assert traj.success is True
    argvs = [r["argv"] for r in sim_phone.records() if r["argv"][:1] == ["input"]]
    assert argvs[0] == ["input", "tap", "540", "1200"]
    assert ["input", "keyevent", "3"] in argvs
    system = server.completions[0].messages[0]["content"]
    assert '"name": "mobile_use"' in system and "The screen's resolution is 672x1484" in system
    png = base64.b64decode(server.completions[0].images()[0].split(",", 1)[1])
    assert Image.open(io.BytesIO(png)).size == (672, 1484)
