"""VLN against the reference evaluators' rules, on small files written here in the real formats.

REVERIE (``eval_release.py``): an object is seen from a viewpoint only where its box entry has a
non-empty ``visible_pos``. R2R (``eval.py``): instructions 0–2 of each path are the episodes; the
graph holds only viewpoints with edges. Test splits load as prediction-only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vagent import policies
from vagent.benchmarks.vln.runner import run
from vagent.envs.vln import SceneData, VLNEnv
from vagent.envs.vln.datasets import load_split
from fixtures.vln import write_connectivity

# A corridor A–B–C–D–E, 2 m apart; F hangs off E; G is included but has no edge; H is excluded.
POINTS = {"A": (0, 0, 0), "B": (0, 2, 0), "C": (0, 4, 0), "D": (0, 6, 0), "E": (0, 8, 0),
          "F": (2, 8, 0), "G": (20, 20, 0), "H": (0, 1, 0)}
EDGES = [("A", "B"), ("B", "C"), ("C", "D"), ("D", "E"), ("E", "F"), ("H", "A")]
SCAN = "x8F5xyUWy9e"


def box(name: str, views: list[int]) -> dict:
    """One object entry of a REVERIE box file, as released: a box per listed view."""
    return {"name": name, "visible_pos": views, "bbox2d": [[10 * v, 20, 40, 30] for v in views]}


# The target (object 7, a rope) is listed at D, E and F, but E's entry is empty — REVERIE's files
# hold such entries (``{"name": "rope", "visible_pos": [], "bbox2d": []}``).
BOXES = {"C": {"9": box("picture#frame", [13, 14])},
         "D": {"7": box("rope", [14, 15]), "9": box("picture#frame", [])},
         "E": {"7": box("rope", [])},
         "F": {"7": box("rope", [22])}}


def reverie_item(**kw) -> dict:
    item = {"distance": 8.0, "ix": 3, "scan": SCAN, "heading": 0.0, "path_id": 5011,
            "objId": 7, "id": "5011_7", "path": ["A", "B", "C", "D", "E"],
            "instructions": ["Go down the hall and bring me the rope",
                             "Fetch the rope at the end of the corridor"],
            "instructions_l": ["Walk down the corridor and stop at its end."]}
    return {**item, **kw}


@pytest.fixture
def reverie_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    write_connectivity(data / "connectivity" / f"{SCAN}_connectivity.json", POINTS, EDGES,
                       excluded=("H",))
    (data / "BBox").mkdir(parents=True)  # REVERIE's own folder name
    for vp, objs in BOXES.items():
        (data / "BBox" / f"{SCAN}_{vp}.json").write_text(json.dumps({vp: objs}))
    (data / "REVERIE_val_unseen.json").write_text(json.dumps([reverie_item()]))
    (data / "REVERIE_test.json").write_text(json.dumps([
        {"heading": 1.2, "id": "2021", "instructions": ["Find the rope", "Bring the rope"],
         "path": ["B"], "scan": SCAN}]))
    return data


def test_an_empty_visible_pos_is_not_seen(reverie_data: Path) -> None:
    data = SceneData(reverie_data)
    assert data.viewpoints_seeing(SCAN, "7") == {"D", "F"}
    assert data.objects_at(SCAN, "E") == {}
    assert data.objects_at(SCAN, "D") == {"7": "rope"}  # the empty picture frame is left out
    assert data.objects_at(SCAN, "C") == {"9": "picture frame"}


@pytest.mark.parametrize("walk, sr, osr", [
    (["A", "B", "C", "D", "E"], False, True),   # the reference end: listed, but not visible
    (["A", "B", "C", "D"], True, True),
    (["A", "B", "C", "D", "E", "F"], True, True),
    (["A", "B", "C"], False, False),
])
def test_reverie_success_follows_eval_release(reverie_data: Path, walk: list[str], sr: bool,
                                              osr: bool) -> None:
    from vagent.envs.vln.metrics import score

    ep = load_split(reverie_data, "reverie", "val_unseen")[0]
    m = score(ep, walk, SceneData(reverie_data), predicted="7")
    assert (m["success"], m["oracle_success"]) == (sr, osr)
    assert m["SPL"] == (pytest.approx(8 / max(8, 2 * (len(walk) - 1))) if sr else 0)
    assert m["RGS"] and m["RGSPL"] == pytest.approx(8 / max(8, m["TL"]))  # RGS needs no SR


def test_the_oracle_stops_where_the_target_is_visible(reverie_data: Path, tmp_path: Path) -> None:
    eps = load_split(reverie_data, "reverie", "val_unseen")
    summary = run(eps, SceneData(reverie_data), "reverie", policies.make("oracle"), tmp_path)
    recs = [json.loads(x) for x in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert [r["walk"] for r in recs] == [["A", "B", "C", "D"]] * 2  # not on to E
    m = summary["metrics"]
    assert m["SR"] == 100 and m["RGS"] == 100 and m["SPL"] == 100
    assert summary["views"] is False and "no images" in (tmp_path / "summary.md").read_text()


def test_r2r_counts_three_instructions_per_path_as_eval_py(tmp_path: Path) -> None:
    write_connectivity(tmp_path / "connectivity" / f"{SCAN}_connectivity.json", POINTS, EDGES)
    item = {"distance": 4.0, "scan": SCAN, "path_id": 77, "heading": 0.5, "path": ["A", "B", "C"],
            "instructions": ["one", "two", "three", "four"]}
    (tmp_path / "R2R_val_seen.json").write_text(json.dumps([item]))
    eps = load_split(tmp_path, "r2r", "val_seen")
    assert [e.id for e in eps] == ["77_0", "77_1", "77_2"]
    assert not any(e.prediction_only for e in eps)


def test_viewpoints_without_edges_are_no_nodes_and_need_no_views(reverie_data: Path) -> None:
    data = SceneData(reverie_data, images=reverie_data / "images")
    graph = data.graph(SCAN)
    assert "G" not in graph and "H" not in graph and sorted(graph.graph.nodes) == list("ABCDEF")
    img = reverie_data / "images" / SCAN
    for vp in "ABCDEF":
        (img / vp).mkdir(parents=True)
        for k in range(12, 24):
            (img / vp / f"{k}.png").write_bytes(b"")  # present is all `check` asks
    eps = load_split(reverie_data, "reverie", "val_unseen")
    data.check(eps)  # G and H are not asked for


def test_test_splits_load_as_prediction_only(reverie_data: Path) -> None:
    eps = load_split(reverie_data, "reverie", "test")
    assert [e.id for e in eps] == ["2021_0", "2021_1"]
    assert all(e.prediction_only and e.object_id is None and e.start == "B" for e in eps)
    env = VLNEnv(data=reverie_data, dataset="reverie", episodes=eps, views=False)
    obs, _ = env.reset(options={"episode": eps[0]})
    assert obs["screenshot"] is None and all(c["image"] is None for c in obs["candidates"])
    assert env.oracle_action() is None  # no goal: no oracle
    _, reward, terminated, _, info = env.step({"action": "go", "viewpoint": "C"})
    _, reward, terminated, _, info = env.step({"action": "stop", "object_id": "9"})
    assert terminated and "metrics" not in info and "success" not in info and reward == 0
    assert env.path == ["B", "C"] and env.predicted_object == "9"


def test_views_are_required_when_a_model_sees_them(reverie_data: Path, tmp_path: Path) -> None:
    from vagent.envs.vln import ImagesMissing

    eps = load_split(reverie_data, "reverie", "val_unseen")
    with pytest.raises(ImagesMissing, match="no images folder"):
        VLNEnv(data=reverie_data, dataset="reverie", episodes=eps).reset(
            options={"episode": eps[0]})


# -- submission files ----------------------------------------------------------------------------
def test_the_reverie_submission_has_the_servers_shape(reverie_data: Path, tmp_path: Path) -> None:
    from vagent.benchmarks.vln import submission

    eps = load_split(reverie_data, "reverie", "test")
    data = SceneData(reverie_data)
    recs = [{"id": "2021_1", "walk": ["B"], "predicted_object": None},
            {"id": "2021_0", "walk": ["B", "C", "D", "D", "E", "F"], "predicted_object": "7"}]
    items = submission.entries(recs, eps, data, "reverie")
    assert [i["instr_id"] for i in items] == ["2021_0", "2021_1"]  # the split's order
    first = items[0]
    assert set(first) == {"instr_id", "trajectory", "predObjId"} and first["predObjId"] == 7
    assert items[1] == {"instr_id": "2021_1", "trajectory": [["B", 1.2, 0.0]], "predObjId": -1}
    traj = first["trajectory"]
    assert [t[0] for t in traj] == ["B", "C", "D", "D", "E", "F"]
    assert traj[0][1] == 1.2 and traj[1][1] == 0.0 and traj[3][1] == 0.0  # north along the hall
    assert traj[5][1] == pytest.approx(1.570796)  # east to F; elevation 0 throughout
    assert all(t[2] == 0.0 for t in traj)
    # What eval.py / eval_release.py assert: the start, and an edge between distinct neighbours.
    graph = data.graph(SCAN)
    for item, ep in zip(items, eps):
        assert item["trajectory"][0][0] == ep.start
        steps = [t[0] for t in item["trajectory"]]
        assert all(b in graph.neighbours(a) for a, b in zip(steps, steps[1:]) if a != b)
    note = submission.write(tmp_path, recs[:1], eps, data, "reverie", "test")
    assert note["file"] == "REVERIE_test_submission.json" and note["missing"] == 1
    written = json.loads((tmp_path / "REVERIE_test_submission.json").read_text())
    assert written == items[1:]


def test_the_r2r_submission_has_the_servers_shape(tmp_path: Path) -> None:
    from vagent.benchmarks.vln import submission

    write_connectivity(tmp_path / "connectivity" / f"{SCAN}_connectivity.json", POINTS, EDGES)
    (tmp_path / "R2R_test.json").write_text(json.dumps([
        {"heading": 3.6, "instructions": ["a", "b", "c"], "path": ["C"], "path_id": 4061,
         "scan": SCAN}]))
    eps = load_split(tmp_path, "r2r", "test")
    assert [e.id for e in eps] == ["4061_0", "4061_1", "4061_2"]
    assert all(e.prediction_only for e in eps)
    recs = [{"id": e.id, "walk": ["C", "B"], "predicted_object": None} for e in eps]
    note = submission.write(tmp_path, recs, eps, SceneData(tmp_path), "r2r", "test")
    assert note == {"file": "R2R_test_submission.json", "entries": 3}
    items = json.loads((tmp_path / "R2R_test_submission.json").read_text())
    assert items[2] == {"instr_id": "4061_2",
                        "trajectory": [["C", 3.6, 0.0], ["B", pytest.approx(math.pi), 0.0]]}


def test_eval_on_a_test_split_writes_the_submission(reverie_data: Path, tmp_path: Path,
                                                    vagent_cmd: list[str],
                                                    subprocess_env: dict[str, str]) -> None:
    import subprocess

    out = tmp_path / "out"
    base = vagent_cmd + ["eval", "vln", "--dataset", "reverie", "--data", str(reverie_data),
                         "--split", "test", "--out", str(out)]
    res = subprocess.run(base + ["--policy", "random"], capture_output=True, text=True,
                         env=subprocess_env, timeout=120)
    assert res.returncode == 0, res.stderr  # no images/ folder: random is shown no views
    assert "not scored here" in res.stdout and "REVERIE_test_submission.json" in res.stdout
    items = json.loads((out / "REVERIE_test_submission.json").read_text())
    assert [i["instr_id"] for i in items] == ["2021_0", "2021_1"]
    assert all(i["trajectory"][0][0] == "B" and isinstance(i["predObjId"], int) for i in items)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["prediction_only"] == 2 and summary["views"] is False
    assert summary["metrics"] == {} and "no images were used" in (out / "summary.md").read_text()
    res = subprocess.run(base + ["--policy", "oracle"], capture_output=True, text=True,
                         env=subprocess_env, timeout=120)
    assert res.returncode == 2 and "oracle cannot run" in res.stderr
