"""VLN: graphs, metrics by hand, loaders, images on disk, the env, the protocol, the benchmark."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import gymnasium
import numpy as np
import pytest

from vagent import envs
from vagent import policies
from vagent.actions.errors import ActionError, ParseError
from vagent.actions.parsing.options import choose_option
from vagent.agent import Agent
from vagent.envs.vln import metrics
from vagent.envs.vln.datasets import load_r2r, load_reverie, load_split
from vagent.benchmarks.vln.runner import run
from vagent.envs.vln import (Episode, ImagesMissing, NavGraph, SceneData, VLNDataError, VLNEnv,
                      relative_direction, view_index)
from vagent.actions.context import Context, Decision
from vagent.policies.base import Policy
from fixtures.vln import write_connectivity

# A line of viewpoints 2 m apart (A..E along +y), a side spot X beside B, and Y 3 m past E.
POINTS = {"A": (0, 0, 0), "B": (0, 2, 0), "C": (0, 4, 0), "D": (0, 6, 0), "E": (0, 8, 0),
          "X": (2, 2, 0), "Y": (0, 11, 0), "Z": (9, 9, 9)}
EDGES = [("A", "B"), ("B", "C"), ("C", "D"), ("D", "E"), ("B", "X"), ("C", "X"), ("Y", "E"),
         ("Z", "A")]


@pytest.fixture
def line(tmp_path: Path) -> NavGraph:
    return NavGraph.load(write_connectivity(tmp_path / "line_connectivity.json", POINTS, EDGES,
                                            excluded=("Z",)))


# -- graphs ---------------------------------------------------------------------------------------
def test_connectivity_edges_weights_and_exclusion(line: NavGraph) -> None:
    assert line.scan == "line"
    assert "Z" not in line  # not included: neither a node nor an edge
    assert line.neighbours("B") == ["A", "C", "X"]  # marked on one side only, joined both ways
    assert line.edge_length("C", "X") == pytest.approx(math.sqrt(8))
    assert line.shortest_path("A", "E") == ["A", "B", "C", "D", "E"]
    assert line.distance("A", "Y") == pytest.approx(11)
    assert line.distance("X", "E") == pytest.approx(math.sqrt(8) + 4)
    heading, elevation = line.direction("B", "X")
    assert heading == pytest.approx(math.pi / 2) and elevation == 0  # +x is 90° clockwise of +y


def test_connectivity_errors_say_what(tmp_path: Path) -> None:
    bad = tmp_path / "bad_connectivity.json"
    bad.write_text("[{", encoding="utf-8")
    with pytest.raises(VLNDataError, match="not JSON"):
        NavGraph.load(bad)
    bad.write_text(json.dumps([{"image_id": "a", "pose": [0] * 16, "unobstructed": [False, True]}]))
    with pytest.raises(VLNDataError, match="2 'unobstructed' flags for 1"):
        NavGraph.load(bad)
    bad.write_text(json.dumps([{"image_id": "a", "pose": [0] * 3, "unobstructed": [False]}]))
    with pytest.raises(VLNDataError, match="pose"):
        NavGraph.load(bad)


@pytest.mark.parametrize(("rel_deg", "elev_deg", "words"), [
    (0, 0, "go forward"), (14, 0, "go forward"), (-40, 0, "turn left"), (60, 0, "turn right"),
    (90, 0, "turn right"), (91, 0, "turn around"), (-170, 0, "turn around"),
    (350, 0, "go forward"), (300, 0, "turn left"), (0, 40, "go up"), (180, -30, "go down"),
])
def test_relative_direction(rel_deg: float, elev_deg: float, words: str) -> None:
    assert relative_direction(math.radians(rel_deg), math.radians(elev_deg)) == words


def test_view_index_matches_the_simulator_numbering() -> None:
    assert view_index(0.0) == 12
    assert view_index(math.radians(95)) == 15
    assert view_index(math.radians(-30)) == 23
    assert view_index(math.radians(30), math.radians(40)) == 25
    assert view_index(0.0, math.radians(-30)) == 0


# -- metrics by hand ------------------------------------------------------------------------------
def test_r2r_spl_with_a_detour(line: NavGraph) -> None:
    m = metrics.r2r(line, ["A", "B", "X", "C", "D", "E"], goal="E")
    tl = 2 + 2 + math.sqrt(8) + 2 + 2
    assert m["TL"] == pytest.approx(tl)
    assert m["NE"] == 0 and m["success"] and m["oracle_success"]
    assert m["SPL"] == pytest.approx(8 / tl)  # 0.7388…


def test_r2r_oracle_success_with_a_pass_by(line: NavGraph) -> None:
    m = metrics.r2r(line, ["A", "B", "C", "D", "E", "D", "C"], goal="E")
    assert m["TL"] == pytest.approx(12) and m["NE"] == pytest.approx(4)
    assert not m["success"] and m["oracle_success"] and m["SPL"] == 0


def test_r2r_three_metres_is_a_strict_bound(line: NavGraph) -> None:
    assert metrics.r2r(line, ["A", "B", "C", "D", "E"], goal="Y")["NE"] == pytest.approx(3)
    assert not metrics.r2r(line, ["A", "B", "C", "D", "E"], goal="Y")["success"]
    near = metrics.r2r(line, ["A", "B", "C", "D"], goal="E")  # 2 m short: success
    assert near["success"] and near["SPL"] == pytest.approx(8 / 8 * 1)  # TL 6 < 8: L/max = 1


def test_r2r_stop_at_the_start(line: NavGraph) -> None:
    far = metrics.r2r(line, ["A"], goal="E")
    assert far == {"TL": 0, "NE": 8, "success": False, "oracle_success": False, "SPL": 0.0,
                   "shortest": 8, "steps": 0}
    close = metrics.r2r(line, ["A"], goal="B")  # the goal is 2 m away: staying is a success
    assert close["success"] and close["SPL"] == 1.0
    here = metrics.r2r(line, ["A"], goal="A")  # L = TL = 0
    assert here["SPL"] == 1.0


def test_reverie_visibility_success_and_grounding(line: NavGraph) -> None:
    goals = {"D", "E"}  # where the target is seen within 3 m
    m = metrics.reverie(line, ["A", "B", "C", "D"], "E", goals, target="7", predicted="7")
    assert m["success"] and m["RGS"] and m["SPL"] == 1.0 and m["RGSPL"] == 1.0  # TL 6 < L 8
    passed = metrics.reverie(line, ["A", "B", "C", "D", "C"], "E", goals, "7", None)
    assert not passed["success"] and passed["oracle_success"] and not passed["RGS"]
    wrong = metrics.reverie(line, ["A", "B", "X", "C", "D", "E"], "E", goals, "7", "8")
    tl = 8 + math.sqrt(8) - 2 + 2
    assert wrong["success"] and not wrong["RGS"] and wrong["RGSPL"] == 0
    assert wrong["SPL"] == pytest.approx(8 / tl)
    # Within 3 m is not enough for REVERIE: C is 4 m from E and not a goal viewpoint.
    assert not metrics.reverie(line, ["A", "B", "C"], "E", goals, "7", "7")["success"]


def test_summary_means_in_percent() -> None:
    recs = [{"metrics": {"TL": 10, "NE": 0, "success": True, "oracle_success": True, "SPL": 0.5,
                         "steps": 4}},
            {"metrics": {"TL": 0, "NE": 6, "success": False, "oracle_success": True, "SPL": 0,
                         "steps": 0}}]
    s = metrics.summarise(recs, "r2r")
    assert s == {"episodes": 2, "TL": 5.0, "NE": 3.0, "SR": 50.0, "OSR": 100.0, "SPL": 25.0,
                 "steps": 2.0}


# -- loaders ---------------------------------------------------------------------------------------
R2R_ITEM = {"distance": 10.86, "scan": "8194nk5LbLH", "path_id": 4332, "heading": 5.57,
            "path": ["c9e8dc09263e4d0da77d16de0ecddd39", "f33c718aaf2c41469389a87944442c62",
                     "ae91518ed77047b3bdeeca864cd04029"],
            "instructions": ["Walk to the other end of the lobby and wait near the exit. ",
                             "Walk straight toward the sofa. ", "Go past the table."]}


def test_r2r_loader(tmp_path: Path) -> None:
    p = tmp_path / "R2R_val_unseen.json"
    p.write_text(json.dumps([R2R_ITEM]), encoding="utf-8")
    eps = load_split(tmp_path, "r2r", "val_unseen")
    assert [e.id for e in eps] == ["4332_0", "4332_1", "4332_2"]
    assert eps[1].instruction.startswith("Walk straight") and eps[0].goal == R2R_ITEM["path"][-1]
    assert eps[0].heading == 5.57 and eps[0].dataset == "r2r"
    p.write_text(json.dumps([R2R_ITEM, {**R2R_ITEM, "path": "oops"}]), encoding="utf-8")
    with pytest.raises(VLNDataError, match="item 1: path"):
        load_r2r(p)
    with pytest.raises(VLNDataError, match="it has R2R_val_unseen.json"):
        load_split(tmp_path, "r2r", "test")


def test_reverie_loader(tmp_path: Path) -> None:
    item = {**R2R_ITEM, "ix": 208, "objId": 66, "id": "4332_66",
            "instructions_l": ["inherited from R2R"],
            "instructions": ["Go to the lobby and clean the coffee table", "Wipe the table"]}
    p = tmp_path / "REVERIE_val_seen.json"
    p.write_text(json.dumps([item]), encoding="utf-8")
    eps = load_reverie(p)
    assert [e.id for e in eps] == ["4332_66_0", "4332_66_1"]
    assert eps[0].object_id == "66" and eps[0].dataset == "reverie"
    p.write_text(json.dumps([{**item, "objId": [66]}]))  # no objId at all: a test item
    with pytest.raises(VLNDataError, match="objId"):
        load_reverie(p)


# -- images and data folders -------------------------------------------------------------------
def test_missing_images_are_listed(vln_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "copy"
    shutil.copytree(vln_data, data)
    scan_dir = sorted((data / "images").iterdir())[0]
    vps = sorted(scan_dir.iterdir())
    shutil.rmtree(vps[0])
    (vps[1] / "15.png").unlink()
    eps = [e for e in load_split(data, "r2r", "synthetic") if e.scan == scan_dir.name]
    with pytest.raises(ImagesMissing) as err:
        SceneData(data).check(eps)
    msg = str(err.value)
    assert "13 image(s) missing" in msg
    assert f"{scan_dir.name}/{vps[0].name}/ (all 12 horizon views)" in msg
    assert f"{scan_dir.name}/{vps[1].name}/15.jpg" in msg and "Matterport3D" in msg
    with pytest.raises(ImagesMissing, match="no images folder"):
        SceneData(data, images=tmp_path / "nowhere").check(eps)
    with pytest.raises(VLNDataError, match="no connectivity file for scan nope"):
        SceneData(data).graph("nope")


# -- the env -------------------------------------------------------------------------------------
def test_env_observation_and_action_space(vln_data: Path) -> None:
    env = envs.make("vln", data=vln_data, split="synthetic")
    ep = env.episodes[0]
    obs, info = env.reset(options={"episode": ep})
    assert info["episode"] == ep.id and obs["instruction"] == ep.instruction
    assert obs["screenshot"].shape == (120, 160, 3) and obs["path"] == [ep.start]
    graph = env.data.graph(ep.scan)
    assert {c["viewpoint"] for c in obs["candidates"]} == set(graph.neighbours(ep.start))
    for c in obs["candidates"]:
        assert c["image"].shape == (120, 160, 3)
        assert c["direction"] in ("turn left", "turn right", "turn around", "go forward",
                                  "go up", "go down")
    far = next(v for v in graph.graph.nodes if v not in graph.neighbours(ep.start))
    with pytest.raises(ActionError):
        env.action_space.validate({"action": "go", "viewpoint": far})
    move = obs["candidates"][0]["viewpoint"]
    obs, reward, term, trunc, info = env.step({"action": "go", "viewpoint": move})
    assert obs["path"] == [ep.start, move] and not term and not trunc
    assert obs["trajectory"] == [0, obs["place"]] and obs["history"][0].endswith(
        f"to Place {obs['place']}")
    assert 0 in obs["map"] and obs["place"] in obs["map"][0]
    obs, reward, term, trunc, info = env.step({"action": "stop"})
    assert term and "metrics" in info and info["metrics"]["TL"] > 0
    assert gymnasium.spec("vagent/VLN-v0").entry_point == "vagent.envs.vln.env:VLNEnv"


def test_random_samples_only_legal_moves_and_truncates(vln_data: Path, tmp_path: Path) -> None:
    env = envs.make("vln", data=vln_data, split="synthetic", max_steps=4)
    pol = policies.make("random", seed=3)
    for i, ep in enumerate(env.episodes[:8]):
        traj = Agent(pol, env, out=tmp_path / str(i), max_steps=10).run(
            ep.instruction, options={"episode": ep})
        graph = env.data.graph(ep.scan)
        assert all(graph.graph.has_edge(a, b) for a, b in zip(env.path, env.path[1:]))
        assert all(s.error is None for s in traj.steps)
        assert len(env.path) <= 5 and traj.result["reason"] in ("terminated", "truncated")


# -- the protocol ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "letter"), [
    ("Thought: the kitchen is left.\nAction: B", "B"), ("**Action:** C", "C"),
    ("Action: (a) stop", "A"), ("I could answer 'Action: A'.\nAction: D", "D"), ("c", "C"),
    ("action：b", "B"),
])
def test_choose_option(text: str, letter: str) -> None:
    assert choose_option(text, ["A", "B", "C", "D"]) == letter


@pytest.mark.parametrize("text", ["Action: F", "I will go left.", "", "Action: 3"])
def test_choose_option_errors(text: str) -> None:
    with pytest.raises(ParseError):
        choose_option(text, ["A", "B", "C", "D"])


class ProtocolAnswerer(Policy):
    """Stands in for a model: reads the protocol's prompt, answers 'Action: <letter>' for the
    oracle's move (or a fixed wrong letter first), and parses with the protocol."""

    name = "protocol-answerer"

    def __init__(self) -> None:
        self.prompts: list[list] = []

    def act(self, context: Context) -> Decision:
        proto = context.protocol
        parts = proto.prompt(context)
        self.prompts.append(parts)
        want = context.oracle().dump()
        lines = [p for p in parts if isinstance(p, str) and p[:3].endswith(". ")]
        letters = {line[0]: line[3:] for line in lines}
        pick = next(k for k, (_, call) in zip(letters, proto.options(context.observation))
                    if {**call, "object_id": call.get("object_id")} ==
                    {**want, "object_id": want.get("object_id")})
        text = f"Thought: following the plan.\nAction: {pick}"
        try:
            parsed = proto.parse(text)
        except ParseError as e:
            return Decision(raw=text, error=str(e))
        return Decision(raw=text, thought=parsed.thought, calls=parsed.calls)


@pytest.mark.parametrize("dataset", ["r2r", "reverie"])
def test_protocol_prompts_and_parses_end_to_end(vln_data: Path, tmp_path: Path,
                                                dataset: str) -> None:
    env = envs.make("vln", data=vln_data, split="synthetic", dataset=dataset)
    pol = ProtocolAnswerer()
    ep = env.episodes[1]
    traj = Agent(pol, env, out=tmp_path, max_steps=15).run(ep.instruction,
                                                           options={"episode": ep})
    assert traj.success and env.path == env.data.graph(ep.scan).shortest_path(ep.start, ep.goal)
    first = pol.prompts[0]
    images = [p for p in first if isinstance(p, np.ndarray)]
    n_cands = len(env.data.graph(ep.scan).neighbours(ep.start))
    assert len(images) == 1 + n_cands  # the current view and one per candidate
    text = "\n".join(p for p in first if isinstance(p, str))
    assert f"Instruction: {ep.instruction}" in text and "Trajectory: Place 0" in text
    assert "A. stop" in text and "B. " in text and "to Place 1" in text
    last = "\n".join(p for p in pol.prompts[-1] if isinstance(p, str))
    assert "History: step 0:" in last and "Map:\nPlace 0 connects to Places" in last
    if dataset == "reverie":
        assert f"(object {ep.object_id})" in last
        assert env.predicted_object == ep.object_id
    with pytest.raises(ParseError, match="not one of the options"):
        env.protocol.parse("Action: Z")


# -- the benchmark --------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", ["r2r", "reverie"])
def test_oracle_is_perfect_on_synthetic_scenes(vln_data: Path, tmp_path: Path,
                                               dataset: str) -> None:
    eps = load_split(vln_data, dataset, "synthetic")
    summary = run(eps, SceneData(vln_data), dataset, policies.make("oracle"), tmp_path)
    recs = [json.loads(line) for line in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert len(recs) == len(eps) == summary["episodes"] == 36
    assert all(r["metrics"]["SPL"] == pytest.approx(1.0) for r in recs)
    m = summary["metrics"]
    assert m["SR"] == 100 and m["SPL"] == 100 and m["NE"] == 0
    if dataset == "reverie":
        assert m["RGS"] == 100 and m["RGSPL"] == 100
    assert "| oracle | 36 |" in (tmp_path / "summary.md").read_text()


def test_random_baseline(vln_data: Path, tmp_path: Path) -> None:
    eps = load_split(vln_data, "r2r", "synthetic")[:6]
    summary = run(eps, SceneData(vln_data), "r2r", policies.make("random", seed=1), tmp_path)
    recs = [json.loads(x) for x in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert [r["id"] for r in recs] == [e.id for e in eps]
    assert summary["episodes"] == 6 and 0 <= summary["metrics"]["SR"] <= 100
    assert summary["metrics"]["SR"] == pytest.approx(
        100 * sum(r["metrics"]["success"] for r in recs) / 6, abs=0.01)
    assert summary["settings"]["policy"]["name"] == "random"


def test_eval_command(vln_data: Path, tmp_path: Path, vagent_cmd: list[str],
                      subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    cmd = vagent_cmd + ["eval", "vln", "--dataset", "reverie", "--data", str(vln_data),
                        "--split", "synthetic", "--policy", "oracle", "--limit", "5",
                        "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "| oracle | 5 | " in res.stdout and "| 100.00 | 100.00 |" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 5 and summary["dataset"] == "reverie"
    assert summary["metrics"]["RGS"] == 100.0 and summary["metrics"]["SR"] == 100.0
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 5
    ep_dir = next((out / "runs").iterdir())
    assert (ep_dir / "trajectory.jsonl").exists()
    # the oracle is shown no views: none are read or saved, and the summary says so
    assert not (ep_dir / "step_000.png").exists() and summary["views"] is False
    # Without --data: generated synthetic scenes.
    res = subprocess.run(vagent_cmd + ["eval", "vln", "--policy", "random", "--limit", "3",
                                       "--scans", "1", "--out", str(tmp_path / "syn")],
                         capture_output=True, text=True, env=subprocess_env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "syn" / "synthetic").glob("*/R2R_synthetic.json"))) == 1


def test_eval_command_missing_images(vln_data: Path, tmp_path: Path, vagent_cmd: list[str],
                                     subprocess_env: dict[str, str]) -> None:
    data = tmp_path / "data"
    shutil.copytree(vln_data, data, ignore=shutil.ignore_patterns("images"))
    # a model policy is shown views, so they are required (the oracle would run without them)
    res = subprocess.run(vagent_cmd + ["eval", "vln", "--data", str(data), "--split", "synthetic",
                                       "--policy", "tiny", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, env=subprocess_env, timeout=120)
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]  # after the model's loading bar
    assert last.startswith("vagent: no images folder") and "Matterport3D" in last
    assert "Traceback" not in res.stderr


def test_episode_model_round_trips() -> None:
    ep = Episode(id="1_0", scan="s", path=["a", "b"], instruction="go")
    assert Episode.model_validate(ep.model_dump()) == ep and ep.start == "a" and ep.goal == "b"
    with pytest.raises(VLNDataError, match="no episodes"):
        VLNEnv(data=".", episodes=[]).reset()


# -- synthetic scenes ------------------------------------------------------------------------------
def test_synthetic_scenes_are_in_the_real_formats(vln_data: Path) -> None:
    eps = load_split(vln_data, "reverie", "synthetic")
    data = SceneData(vln_data)
    data.check(eps)  # every view of every scan is there
    for ep in eps[::3]:
        graph = data.graph(ep.scan)
        assert ep.scan.startswith("synthetic-")
        assert graph.shortest_path(ep.start, ep.goal) == ep.path  # reference = shortest
        assert ep.distance == pytest.approx(graph.path_length(ep.path), abs=1e-3)
        assert ep.goal in data.viewpoints_seeing(ep.scan, ep.object_id)
        box = json.loads((vln_data / "bbox" / f"{ep.scan}_{ep.goal}.json").read_text())
        obj = box[ep.goal][ep.object_id]
        assert set(obj) == {"name", "visible_pos", "bbox2d"} and obj["visible_pos"]
        assert obj["name"].replace("#", " ") in ep.instruction
        # A candidate's image is the view towards it, where its room's colour shows.
        env = VLNEnv(data=vln_data, dataset="reverie", episodes=[ep])
        obs, _ = env.reset(options={"episode": ep})
        for c in obs["candidates"]:
            colours = {tuple(px) for px in c["image"].reshape(-1, 3)[::7]}
            assert len(colours) > 3  # a drawn scene, not a blank frame
            assert np.array_equal(c["image"], env.data.images.load(
                ep.scan, ep.start, view_index(c["heading"], c["elevation"])))
    r2r = json.loads((vln_data / "R2R_synthetic.json").read_text())
    assert {"distance", "scan", "path_id", "path", "heading", "instructions"} <= set(r2r[0])
    assert len(r2r[0]["instructions"]) == 3


def test_synthetic_generation_is_deterministic(tmp_path: Path, vln_data: Path) -> None:
    from vagent.envs.vln.synthetic import generate

    a = generate(tmp_path / "a", scans=2, paths_per_scan=2, seed=5, image_size=(64, 48))
    b = generate(tmp_path / "b", scans=2, paths_per_scan=2, seed=5, image_size=(64, 48))
    assert (a / "R2R_synthetic.json").read_text() == (b / "R2R_synthetic.json").read_text()
    scan = "synthetic-01"
    assert (a / "connectivity" / f"{scan}_connectivity.json").read_bytes() == \
        (b / "connectivity" / f"{scan}_connectivity.json").read_bytes()
    # A staircase in every other scan: some edge climbs 3 m, posed as "go up".
    graph = SceneData(a).graph(scan)
    climbs = [(u, v) for u, v in graph.graph.edges
              if abs(graph.position(u)[2] - graph.position(v)[2]) > 2]
    assert climbs
    u, v = sorted(climbs[0], key=lambda n: graph.position(n)[2])
    _, elevation = graph.direction(u, v)
    assert relative_direction(0.0, elevation) == "go up"


def test_many_options_get_two_letter_labels() -> None:
    from vagent.actions.parsing.options import option_letters

    labels = option_letters(30)
    assert labels[:3] == ["A", "B", "C"] and labels[25:] == ["Z", "AA", "AB", "AC", "AD"]
    assert choose_option("Thought: the lamp.\nAction: AC", labels) == "AC"
    assert choose_option("Action: C", labels) == "C"
    with pytest.raises(ParseError, match="not one of the options A–AD"):
        choose_option("Action: AZ", labels)
