"""vagent view: pages of runs and evaluations, checked as files and in a real headless chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from vagent import envs, policies, view
from vagent.agent import Agent
from vagent.view import sample
from vagent.view.read import read_run
from vagent.view.server import make_server

RED = (0xE5, 0x48, 0x4D)  # agent.render.COLORS["act"]


def _steps_of(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in
            (folder / "trajectory.jsonl").read_text(encoding="utf-8").splitlines()]


def _red_centroid(png: Path) -> tuple[float, float, int]:
    """Centre of the pixels close to the executed-action red, and how many there are."""
    img = Image.open(png).convert("RGB")
    xs = ys = n = 0
    px = img.load()
    for y in range(img.height):
        for x in range(img.width):
            r, g, b = px[x, y]
            if abs(r - RED[0]) < 25 and abs(g - RED[1]) < 30 and abs(b - RED[2]) < 30:
                xs, ys, n = xs + x, ys + y, n + 1
    return (xs / n if n else -1, ys / n if n else -1, n)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return sample.make_run(tmp_path / "run")


@pytest.fixture
def eval_dir(tmp_path: Path) -> Path:
    return sample.make_evaluation(tmp_path / "eval", episodes=12, steps=2)


# -- files --------------------------------------------------------------------------------------
def test_cli_writes_the_page_and_prints_its_path(run_dir: Path, vagent_cmd: list[str]) -> None:
    out = subprocess.run([*vagent_cmd, "view", str(run_dir)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == f"page: {run_dir / 'index.html'}"
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    assert page.count('class="step"') == len(sample.STEPS)
    # self-contained: no stylesheet, script or font from anywhere
    assert not re.search(r'(src|href)="(https?:)?//', page)


@pytest.mark.parametrize("make", ["empty", "missing"])
def test_a_folder_without_a_run_is_one_line_exit_1(tmp_path: Path, vagent_cmd: list[str],
                                                    make: str) -> None:
    folder = tmp_path / "x"
    if make == "empty":
        folder.mkdir()
    out = subprocess.run([*vagent_cmd, "view", str(folder)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert out.stderr.startswith("vagent: ") and out.stderr.count("\n") == 1
    assert "give" in out.stderr


def test_killed_and_damaged_files_still_make_a_page(run_dir: Path) -> None:
    lines = (run_dir / "trajectory.jsonl").read_text(encoding="utf-8").splitlines()
    odd = {**json.loads(lines[0]), "timings": {"decide": "soon"}, "action": {"action": "click"}}
    damaged = [json.dumps(odd), "{not json", *lines[1:3], '{"step": 3, "raw": "cut sh']
    (run_dir / "trajectory.jsonl").write_text("\n".join(damaged), encoding="utf-8")
    (run_dir / "meta.json").write_text("{", encoding="utf-8")
    (run_dir / "step_001.png").unlink()
    run = read_run(run_dir)
    assert [s["step"] for s in run.steps] == [0, 1, 2]  # the cut last line waits for its end
    assert any("malformed" in n for n in run.notes) and any("meta.json" in n for n in run.notes)
    page = view.render(run_dir)
    assert page.count('class="step"') == 3
    assert "step_001.png is missing" in page


def test_text_from_the_model_is_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    run = sample.make_run(tmp_path / "r", [{"action": {"action": "type", "text": evil},
                                            "thought": evil}], task=evil)
    page = view.render(run)
    assert evil not in page and "&lt;script&gt;" in page


def test_an_evaluation_writes_every_run_page_and_links_them(eval_dir: Path) -> None:
    page = view.write(eval_dir).read_text(encoding="utf-8")
    links = re.findall(r'href="(runs/[^"]+)"', page)
    assert len(links) == 12
    for link in links:
        assert (eval_dir / link).read_text(encoding="utf-8").count('class="step"') == 2
    # a run page inside an evaluation links back up
    assert '../../index.html' in (eval_dir / links[0]).read_text(encoding="utf-8")


def test_a_run_path_outside_the_evaluation_is_not_linked(eval_dir: Path) -> None:
    with open(eval_dir / "episodes.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "x", "task": "escape", "success": False, "error": None,
                            "steps": 0, "run": "../../.."}) + "\n")
    page = view.render(eval_dir)
    assert page.count("run →") == 12


def test_aitz_steps_draw_prediction_and_ground_truth(tmp_path: Path) -> None:
    page = view.render(sample.make_aitz_run(tmp_path / "a"))
    first = page.split('id="s1"')[0]
    assert 'cx="130" cy="310"' in first and 'cx="150" cy="290"' in first
    assert "#1f9d55" in first  # the ground truth's colour


def test_a_clamped_point_shows_where_the_model_pointed(run_dir: Path) -> None:
    page = view.render(run_dir)
    clamped = page.split('id="s7"')[1].split('id="s8"')[0]
    # rel1000 (1180, 533) on a 540×1200 screen is (637, 640): off the right edge
    assert "model point (637, 640), clamped" in clamped and 'class="mark-model"' in clamped


def test_a_real_agent_run_renders_every_step(tmp_path: Path) -> None:
    actions = [{"action": "click", "x": 320, "y": 95},
               {"action": "type", "text": "hello", "submit": True},
               {"action": "terminate", "status": "success"}]
    f = tmp_path / "a.jsonl"
    f.write_text("\n".join(json.dumps(a) for a in actions))
    traj = Agent(policies.make("replay", actions=str(f)), envs.make("buttons"),
                 out=tmp_path / "run").run("type hello and submit")
    page = view.write(tmp_path / "run").read_text(encoding="utf-8")
    assert page.count('class="step"') == 3 and 'viewBox="0 0 640 400"' in page
    assert 'cx="320" cy="95"' in page
    notebook = traj._repr_html_()
    assert notebook.count("data:image/png;base64,") == 3 and 'cx="320" cy="95"' in notebook


def test_a_busy_port_is_one_line_exit_1(run_dir: Path, vagent_cmd: list[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run([*vagent_cmd, "view", str(run_dir), "--serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "give another --port" in out.stderr


def test_the_server_serves_only_the_folder(run_dir: Path) -> None:
    import threading

    (run_dir.parent / "secret.png").write_bytes(b"x")
    server = make_server(run_dir, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        def get(path: str) -> tuple[int, bytes]:
            try:
                with urllib.request.urlopen(base + path, timeout=10) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        assert get("/")[0] == 200 and get("/step_000.png")[0] == 200
        assert get("/..%2Fsecret.png")[0] == 404 and get("/%2E%2E/secret.png")[0] == 404
        assert get("/live.json?n=x")[0] == 400
        status, body = get("/live.json?n=10")
        assert status == 200 and json.loads(body)["n"] == 12
        assert len(json.loads(body)["append"]["steps"]) == 2
    finally:
        server.shutdown()
        server.server_close()


# -- in the browser -----------------------------------------------------------------------------
def test_every_step_renders_with_its_screenshot(page: Any, run_dir: Path) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    view.write(run_dir)
    page.goto((run_dir / "index.html").as_uri())
    steps = page.locator("#steps .step")
    assert steps.count() == len(_steps_of(run_dir))
    for i in range(steps.count()):
        shot = page.locator(f"#s{i} svg.shot")
        shot.scroll_into_view_if_needed()
        box = shot.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 200
        # the screenshot itself was drawn: the sample screen's blue title bar is at its top
        png = Image.open(__import__("io").BytesIO(shot.screenshot())).convert("RGB")
        r, g, b = png.getpixel((png.width // 2, 3))
        assert (r, g, b) != (0, 0, 0) and b > r + 60, f"step {i}: no screenshot drawn"
    assert all(u.startswith(("file://", "data:")) for u in requested), requested


def test_the_click_mark_sits_on_the_clicked_pixel(page: Any, run_dir: Path,
                                                  tmp_path: Path) -> None:
    view.write(run_dir)
    page.goto((run_dir / "index.html").as_uri())
    action = _steps_of(run_dir)[0]["action"]
    shot = page.locator("#s0 svg.shot")
    out = tmp_path / "fig.png"
    shot.screenshot(path=str(out))
    img = Image.open(out)
    w, h = sample.SCREEN
    assert abs(img.width / img.height - w / h) < 0.01  # shown at the screenshot's aspect
    scale = img.width / w
    assert scale < 0.9  # the page did scale the picture down, so the check means something
    cx, cy, n = _red_centroid(out)
    assert n > 10, "no click mark drawn"
    assert abs(cx - action["x"] * scale) <= 3 and abs(cy - action["y"] * scale) <= 3, (cx, cy)


def test_keys_and_filmstrip_move_between_steps(page: Any, run_dir: Path) -> None:
    view.write(run_dir)
    page.goto((run_dir / "index.html").as_uri())
    page.keyboard.press("ArrowRight")
    assert page.locator(".step.on").get_attribute("id") == "s0"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator(".step.on").get_attribute("id") == "s2"
    page.keyboard.press("k")
    assert page.locator(".step.on").get_attribute("id") == "s1"
    page.keyboard.press("End")
    assert page.locator(".step.on").get_attribute("id") == f"s{len(sample.STEPS) - 1}"
    page.locator('#film .thumb[data-to="4"]').click()
    assert page.locator(".step.on").get_attribute("id") == "s4"
    assert page.locator("#film .thumb.on").get_attribute("data-to") == "4"


def test_the_filter_hides_successful_episodes(page: Any, eval_dir: Path) -> None:
    view.write(eval_dir)
    episodes = [json.loads(x) for x in (eval_dir / "episodes.jsonl").read_text().splitlines()]
    failures = [e for e in episodes if e["success"] is False and not e["error"]]
    assert failures and any(e["success"] for e in episodes)
    page.goto((eval_dir / "index.html").as_uri())
    rows = page.locator("#rows tr")
    assert rows.count() == len(episodes)
    page.click('button[data-filter="failure"]')
    visible = page.locator("#rows tr:visible")
    assert visible.count() == len(failures)
    assert page.locator('#rows tr[data-state="success"]:visible').count() == 0
    page.click('button[data-filter="all"]')
    page.fill("#q", failures[0]["task"])
    assert [visible.nth(i).get_attribute("data-task") for i in range(visible.count())] == \
        [failures[0]["task"].lower()]
    # the link opens the episode's run page
    page.click('#rows tr:visible a')
    assert page.locator("#steps .step").count() == 2


def _serve(folder: Path, vagent_cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([*vagent_cmd, "view", str(folder), "--serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        proc.kill()
        pytest.fail(f"no URL from --serve: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, match.group(0)


def test_served_run_shows_a_new_step_without_reload(page: Any, tmp_path: Path,
                                                   vagent_cmd: list[str]) -> None:
    folder = tmp_path / "live"
    writer = sample.start_run(folder)
    for i in range(2):
        sample.append_step(writer, i, sample.STEPS[i])
    proc, url = _serve(folder, vagent_cmd)
    try:
        page.goto(url)
        assert page.locator("#steps .step").count() == 2
        assert page.locator(".badge.live").count() == 1
        page.evaluate("window.__same_page = true")
        sample.append_step(writer, 2, sample.STEPS[2])
        page.wait_for_selector("#s2 svg.shot", timeout=2000)
        page.wait_for_selector('#film .thumb[data-to="2"]', timeout=2000)
        writer.finish({"reason": "terminated", "steps": 3, "success": True, "seconds": 3.0})
        page.wait_for_selector("#head .badge.good", timeout=2000)
        assert page.evaluate("window.__same_page") is True  # no reload happened
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_served_evaluation_shows_a_new_episode(page: Any, eval_dir: Path,
                                               vagent_cmd: list[str]) -> None:
    proc, url = _serve(eval_dir, vagent_cmd)
    try:
        page.goto(url)
        page.click('button[data-filter="failure"]')
        before = page.locator("#rows tr").count()
        new = {"id": "ep-new", "task": "a fresh failure", "group": "single", "success": False,
               "error": None, "steps": 1, "metrics": {}}
        with open(eval_dir / "episodes.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(new) + "\n")
        page.wait_for_selector('#rows tr[data-task="a fresh failure"]', timeout=2000)
        assert page.locator("#rows tr").count() == before + 1
        # the filter chosen before applies to the new row too
        assert page.locator('#rows tr[data-state="success"]:visible').count() == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_docs_screenshots(page: Any, tmp_path: Path) -> None:
    """The docs' pictures, taken by this browser; VAGENT_VIEW_DOCS=docs/img keeps them."""
    run = sample.make_run(tmp_path / "run")
    ev = sample.make_evaluation(tmp_path / "eval", episodes=24, steps=3)
    shots = {}
    for name, folder in (("view-run.png", run), ("view-evaluation.png", ev)):
        view.write(folder)
        page.set_viewport_size({"width": 1100, "height": 760})
        page.goto((folder / "index.html").as_uri())
        if folder == run:
            for _ in range(3):  # to the swipe, through the keys a reader would use
                page.keyboard.press("j")
            assert page.locator(".step.on").get_attribute("id") == "s2"
        shots[name] = tmp_path / name
        page.screenshot(path=str(shots[name]))
        assert Image.open(shots[name]).size == (1100, 760)
    keep = os.environ.get("VAGENT_VIEW_DOCS")
    if keep:
        for name, path in shots.items():
            # octree keeps the marks' few saturated colours that a median cut would merge
            Image.open(path).convert("RGB").quantize(256, Image.Quantize.FASTOCTREE).save(
                Path(keep) / name, optimize=True)


def test_vagent_run_ends_with_the_page(tmp_path: Path, vagent_cmd: list[str]) -> None:
    out = tmp_path / ("a-long-folder-name-" * 4) / "run"
    proc = subprocess.run([*vagent_cmd, "run", "press the button", "--env", "buttons",
                           "--policy", "random", "--max-steps", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # the page's line, then the verdict with the trajectory's folder (the last line, issue 18)
    *_, page_line, last = proc.stdout.strip().splitlines()
    assert page_line == f"page: {out / 'index.html'}"
    assert last.startswith(("success", "failure", "unchecked")) and f"trajectory in {out}/" in last
    assert (out / "index.html").read_text(encoding="utf-8").count('class="step"') == 2


def test_aitz_episodes_show_prediction_and_truth_on_the_dataset_screenshot(
        page: Any, tmp_path: Path, vagent_cmd: list[str]) -> None:
    ev = sample.make_aitz_evaluation(tmp_path / "out", tmp_path / "dataset")
    view.write(ev)
    page.goto((ev / "index.html").as_uri())
    page.click('#rows tr[data-task="aitz task 1"] a')
    assert page.locator("#steps .step").count() == 3
    # step 0: the prediction 40 px right of the truth, both drawn on the dataset's screenshot
    shot = page.locator("#s0 svg.shot")
    assert shot.locator("circle.mark-dot").count() == 2
    png = Image.open(__import__("io").BytesIO(shot.screenshot())).convert("RGB")
    assert png.getpixel((png.width // 2, 3))[2] > 120  # the screenshot was found and drawn
    proc, url = _serve(ev, vagent_cmd)
    try:
        page.goto(url + "view/episode-1.html")
        loaded = page.evaluate("""() => new Promise(ok => { const i = new Image();
            i.onload = () => ok(i.naturalWidth); i.onerror = () => ok(0);
            i.src = document.querySelector('#s0 svg.shot image').getAttribute('href'); })""")
        assert loaded == sample.SCREEN[0]
        other = (tmp_path / "elsewhere.png")
        other.write_bytes((tmp_path / "dataset" / "ep0_0.png").read_bytes())
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "_image?path=" + str(other), timeout=10)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
