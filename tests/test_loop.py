"""The agent loop on the built-in buttons env: replay, oracle, errors, trajectories on disk."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vagent import envs
from vagent import policies
from vagent.agent import Agent, Trajectory
from vagent.actions import Frame, get_space
from vagent.actions.context import Context, Decision
from vagent.policies.base import Policy


def test_replay_on_buttons_writes_trajectory(tmp_path: Path) -> None:
    actions = [{"action": "click", "x": 320, "y": 95}, {"action": "type", "text": "hello",
                                                         "submit": True},
               {"action": "terminate", "status": "success"}]
    f = tmp_path / "a.jsonl"
    f.write_text("\n".join(json.dumps(a) for a in actions))
    env = envs.make("buttons")
    traj = Agent(policies.make("replay", actions=str(f)), env, out=tmp_path / "run").run(
        "type hello and submit")
    assert traj.success is True
    back = Trajectory.load(tmp_path / "run")
    assert back.steps[0].action == {**actions[0], "button": "left", "clicks": 1}
    assert [s.action for s in back.steps[1:]] == actions[1:]
    assert back.meta["result"]["reason"] == "terminated"
    assert back.image(0).shape == (400, 640, 3)
    assert (tmp_path / "run" / "step_002.png").exists()
    assert type(back.steps[0].action["x"]) is int  # pixels on the screen, not 320.0


def test_oracle_solves_every_buttons_task(tmp_path: Path) -> None:
    from vagent.envs.buttons import TASKS

    for i, task in enumerate(TASKS):
        traj = Agent(policies.make("oracle"), envs.make("buttons"), out=tmp_path / str(i),
                     max_steps=10).run(task)
        assert traj.success, task


class Scripted(Policy):
    """Answers from a list; records the feedback it was given."""

    def __init__(self, answers: list[Decision]):
        self.answers = list(answers)
        self.feedback: list[str | None] = []

    def act(self, context):  # noqa: ANN001
        self.feedback.append(context.feedback)
        return self.answers.pop(0)


def test_parse_error_is_fed_back_then_recorded(tmp_path: Path) -> None:
    bad = Decision(raw="garbage", error="no call found")
    good = Decision(calls=[{"action": "click", "x": 120, "y": 175}])
    pol = Scripted([bad, good, bad, bad, Decision(calls=[{"action": "terminate"}])])
    traj = Agent(pol, envs.make("buttons"), out=tmp_path, parse_retries=1).run(
        "click the OK button")
    steps = Trajectory.load(tmp_path).steps
    assert steps[0].error is None and steps[0].attempts == 2
    assert pol.feedback[:2] == [None, "no call found"]
    assert steps[1].error == "no call found" and steps[1].action is None
    assert steps[2].action == {"action": "terminate", "status": "success"}
    assert traj.success is True


def test_validation_error_names_field(tmp_path: Path) -> None:
    pol = Scripted([Decision(calls=[{"action": "click", "x": 5}])] * 2
                   + [Decision(calls=[{"action": "fly"}])] * 2)
    Agent(pol, envs.make("buttons"), out=tmp_path, max_steps=2).run("anything")
    steps = Trajectory.load(tmp_path).steps
    assert "field 'y' is required" in steps[0].error
    assert "unknown action 'fly'" in steps[1].error


def test_out_of_screen_point_is_clamped_and_flagged(tmp_path: Path) -> None:
    from vagent.actions import Frame

    pol = Scripted([Decision(calls=[{"action": "click", "x": 1500, "y": -3}],
                             frame=Frame(kind="rel1000"))])
    Agent(pol, envs.make("buttons"), out=tmp_path, max_steps=1).run("x")
    step = Trajectory.load(tmp_path).steps[0]
    assert step.action["x"] == 639 and step.action["y"] == 0
    assert step.clamped and step.warnings


class FakeClock:
    """The loop's clock, moved by hand: the time budget is tested on steps, not on a machine's
    speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    perf_counter = monotonic


def test_time_budget_and_max_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vagent.agent.loop as loop

    clock = FakeClock()
    monkeypatch.setattr(loop, "time", clock)

    class OneSecond(Policy):
        def act(self, context):  # noqa: ANN001
            clock.now += 1.0
            return Decision(calls=[{"action": "wait", "seconds": 0}])

    # checked before each step: steps start at 0, 1 and 2 s; at 3 s the budget of 2.5 s is spent
    traj = Agent(OneSecond(), envs.make("buttons"), out=tmp_path / "a", time_budget=2.5,
                 max_steps=100).run("x")
    assert traj.result["reason"] == "time_budget" and len(traj.steps) == 3
    assert traj.result["seconds"] == 3.0
    traj = Agent(OneSecond(), envs.make("buttons"), out=tmp_path / "b", time_budget=50,
                 max_steps=3).run("x")
    assert traj.result["reason"] == "max_steps" and len(traj.steps) == 3


def test_tool_results_go_back_to_policy(tmp_path: Path) -> None:
    from vagent.actions import tool

    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    env = envs.make("buttons")
    env.action_space = env.action_space | [add]
    seen = []

    class P(Policy):
        def act(self, context):  # noqa: ANN001
            seen.append([r for s in context.steps for r in s.tool_results])
            if not context.steps:
                return Decision(calls=[{"action": "add", "a": 2, "b": 40}])
            return Decision(calls=[{"action": "terminate"}])

    Agent(P(), env, out=tmp_path).run("x")
    assert seen[1] == [{"name": "add", "result": "42"}]


def test_secrets_never_written(tmp_path: Path) -> None:
    class Keyed(Policy):
        def describe(self):  # noqa: ANN201
            return {"name": "k", "api_key": "sk-SECRET", "headers": {"Authorization": "B x"}}

        def act(self, context):  # noqa: ANN001
            return Decision(calls=[{"action": "terminate"}])

    Agent(Keyed(), envs.make("buttons"), out=tmp_path).run("x")
    text = "".join(p.read_text() for p in tmp_path.iterdir() if p.suffix in (".json", ".jsonl"))
    assert "sk-SECRET" not in text and "B x" not in text


def test_killed_run_keeps_finished_steps(tmp_path: Path, subprocess_env) -> None:  # noqa: ANN001
    """SIGKILL a run mid-episode; every step it finished loads back.

    The policy says on stdout when it is asked for step 3 and then blocks, so the kill lands
    inside that step whatever the machine's speed: steps 0-2 are finished, step 3 is not.
    """
    script = tmp_path / "blocking.py"
    script.write_text(
        "import threading\n"
        "from vagent import envs\n"
        "from vagent.agent import Agent\n"
        "from vagent.actions.context import Decision\n"
        "from vagent.policies.base import Policy\n"
        "class P(Policy):\n"
        "    def act(self, c):\n"
        "        print('asked', c.step, flush=True)\n"
        "        if c.step == 3:\n"
        "            threading.Event().wait()\n"
        "        return Decision(calls=[{'action': 'scroll', 'direction': 'down'}])\n"
        f"Agent(P(), envs.make('buttons'), out={str(tmp_path / 'run')!r}, max_steps=1000)"
        ".run('x')\n")
    proc = subprocess.Popen([sys.executable, str(script)], env=subprocess_env,
                            stdout=subprocess.PIPE, text=True)
    try:
        asked = [proc.stdout.readline().strip() for _ in range(4)]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert asked == ["asked 0", "asked 1", "asked 2", "asked 3"]
    traj = Trajectory.load(tmp_path / "run")
    assert [s.step for s in traj.steps] == [0, 1, 2]
    assert all(s.action == {"action": "scroll", "direction": "down"} for s in traj.steps)
    for s in traj.steps:
        assert (tmp_path / "run" / s.screenshot).exists()
    assert "result" not in traj.meta  # the run never finished


def test_cli_run_and_errors(tmp_path: Path, vagent_cmd, subprocess_env) -> None:  # noqa: ANN001
    r = subprocess.run([*vagent_cmd, "run", "click the OK button", "--env", "buttons",
                        "--policy", "oracle", "--out", str(tmp_path)],
                       capture_output=True, text=True, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    assert "success" in r.stdout
    r = subprocess.run([*vagent_cmd, "run", "x", "--env", "nowhere"], capture_output=True,
                       text=True, env=subprocess_env)
    assert r.returncode == 2 and "choose one of" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*vagent_cmd, "run", "x", "--bogus"], capture_output=True, text=True,
                       env=subprocess_env)
    assert r.returncode == 2
    r = subprocess.run([*vagent_cmd, "run", "x", "--policy", "replay", "--actions",
                        str(tmp_path / "none.json")], capture_output=True, text=True,
                       env=subprocess_env)
    assert r.returncode == 1 and "no actions file" in r.stderr


def test_random_policy_stays_in_space(tmp_path: Path) -> None:
    env = envs.make("buttons")
    traj = Agent(policies.make("random", seed=3), env, out=tmp_path, max_steps=25).run("x")
    points = [(s.action["x"], s.action["y"]) for s in traj.steps
              if s.action and s.action.get("x") is not None]
    assert points  # 25 random actions include pointing ones: the bound below is exercised
    for x, y in points:
        assert 0 <= x < 640 and 0 <= y < 400
    assert all(s.error is None for s in traj.steps)
    frame = env.render()
    assert frame.shape == (400, 640, 3) and frame.dtype == np.uint8 and frame.any()


def test_gymnasium_make_and_env_checker() -> None:
    """gymnasium.make('vagent/Buttons-v0') works and its observations are in the space."""
    import gymnasium
    from gymnasium.utils.env_checker import check_env

    env = gymnasium.make("vagent/Buttons-v0")
    obs, _ = env.reset(seed=0, options={"task": "type hello and submit"})
    assert env.observation_space.contains(obs)
    obs, *_ = env.step({"action": "click", "x": 100, "y": 90})
    obs, *_ = env.step({"action": "type", "text": "héllo; $(rm -rf /) 'x'"})
    assert "héllo" in obs["text"] and env.observation_space.contains(obs)
    check_env(env.unwrapped, skip_render_check=True)


def test_policy_raising_parse_error_is_fed_back(tmp_path: Path) -> None:
    from vagent.actions import ParseError

    class Raising(Policy):
        calls = 0

        def act(self, context):  # noqa: ANN001
            self.calls += 1
            if context.feedback is None:
                raise ParseError("missing closing brace", pos=12)
            return Decision(calls=[{"action": "terminate"}])

    pol = Raising()
    traj = Agent(pol, envs.make("buttons"), out=tmp_path).run("x")
    assert pol.calls == 2 and traj.steps[0].attempts == 2 and traj.steps[0].error is None


def test_redact_keeps_counts_and_hides_secrets() -> None:
    from vagent.agent.trajectory import redact

    out = redact({"api_key": "sk-1", "access_token": "t", "Authorization": "Bearer x",
                  "max_new_tokens": 32, "prompt_tokens": 900, "api_key_env": "DASHSCOPE_API_KEY",
                  "nested": [{"client_secret": "s", "token": "t2", "tokens": 5}]})
    assert out["api_key"] == out["access_token"] == out["Authorization"] == "<redacted>"
    assert out["max_new_tokens"] == 32 and out["prompt_tokens"] == 900
    assert out["api_key_env"] == "DASHSCOPE_API_KEY"
    assert out["nested"][0] == {"client_secret": "<redacted>", "token": "<redacted>", "tokens": 5}


def test_env_failure_mid_episode_keeps_steps_and_says_why(tmp_path: Path) -> None:
    from vagent.envs import EnvError
    from vagent.envs.buttons import ButtonsEnv

    class Dropping(ButtonsEnv):
        def step(self, action):  # noqa: ANN001
            if getattr(self, "n", 0) >= 2:
                raise EnvError("device 127.0.0.1:5555 went away — reconnect it")
            self.n = getattr(self, "n", 0) + 1
            return super().step(action)

    pol = Scripted([Decision(calls=[{"action": "wait", "seconds": 0}])] * 5)
    with pytest.raises(EnvError):
        Agent(pol, Dropping(), out=tmp_path).run("x")
    traj = Trajectory.load(tmp_path)
    assert len(traj.steps) == 2
    assert traj.meta["result"]["reason"].startswith("error: device 127.0.0.1:5555 went away")


# -- the one decision step ---------------------------------------------------------------------
class _Answers(Policy):
    """Answers from a list, one per ask; counts the asks."""

    def __init__(self, answers: list[Decision]) -> None:
        self.answers, self.asks = list(answers), 0
        self.feedback: list[str | None] = []

    def act(self, context: Context) -> Decision:
        self.asks += 1
        self.feedback.append(context.feedback)
        return self.answers.pop(0)


def _ctx() -> Context:
    return Context(task="t", space=get_space("gui"), observation={}, screen=(200, 100))


def test_decide_feeds_a_parse_error_back_and_maps_the_fixed_answer() -> None:
    from vagent.agent import decide

    pol = _Answers([Decision(raw="??", error="no action found"),
                    Decision(raw="ok", calls=[{"action": "click", "x": 500, "y": 500}],
                             frame=Frame(kind="rel1000"))])
    out = decide(pol, _ctx(), retries=1)
    assert pol.asks == 2 and pol.feedback == [None, "no action found"]
    assert out.error is None and out.attempts == 2
    assert out.action is not None and out.action.action.dump() == {
        "action": "click", "x": 100, "y": 50, "button": "left", "clicks": 1}


def test_decide_does_not_reask_a_failed_request_and_stops_after_its_retries() -> None:
    from vagent.agent import decide

    failed = _Answers([Decision(error="server error 500", request_failed=True)] * 3)
    out = decide(failed, _ctx(), retries=2)
    assert failed.asks == 1 and out.error == "server error 500"
    bad = _Answers([Decision(raw="x", calls=[{"action": "fly"}])] * 5)
    out = decide(bad, _ctx(), retries=2)
    assert bad.asks == 3 and out.error and out.action is None


def test_decide_turns_a_nan_point_into_the_steps_error() -> None:
    from vagent.agent import decide

    pol = _Answers([Decision(raw="x", calls=[{"action": "click", "x": float("nan"), "y": 1}],
                             frame=Frame(kind="rel1000"))])
    out = decide(pol, _ctx(), retries=0)
    assert out.action is None and "finite" in (out.error or "")
