"""The bundled tiny model: packaged, loaded through the qwen-vl path, the default of
'vagent run', and a short held-out evaluation with a floor well above the random baseline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from vagent import policies
from vagent.benchmarks.phone_sim import evaluate
from vagent.policies.bundled import BUNDLED, FORMAT

#: Floors of the short evaluations below, well above the random policy and well below what the
#: bundled model measured on these very episodes (see the model card; greedy decoding, so a run
#: repeats on the same CPU, and the margin covers float differences between CPUs).
PHONE_FLOOR = 0.35  # held-out phone tasks: random 2.5 % (5/200); bundled 13/20 here, 60 % of 200
NUMBERLINE_FLOOR = 0.75  # random 24.5 % (49/200); bundled 18/20 here, 87 % of 200


def test_bundled_checkpoint_is_small_and_a_real_qwen2vl() -> None:
    weights = list(BUNDLED.glob("*.safetensors"))
    assert weights and sum(w.stat().st_size for w in weights) <= 20 * 2**20
    cfg = json.loads((BUNDLED / "config.json").read_text())
    assert cfg["model_type"] == "qwen2_vl"
    assert (BUNDLED / "README.md").exists()  # the model card
    pol = policies.make("tiny")
    assert type(pol.model).__name__ == "Qwen2VLForConditionalGeneration"
    assert pol.fmt.name == FORMAT and pol.options.keep_images == 1  # its own frozen layout
    pol.close()


def test_vagent_run_defaults_to_the_bundled_model_on_the_phone(
        tmp_path: Path, vagent_cmd: list[str], subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "run"
    r = subprocess.run([*vagent_cmd, "run", "find restaurants in San Diego", "--out", str(out),
                        "--max-steps", "2"], capture_output=True, text=True,
                       env=subprocess_env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "step   0" in r.stdout and "trajectory in" in r.stdout
    meta = json.loads((out / "meta.json").read_text())
    assert meta["policy"]["name"] == "tiny" and meta["env_name"] == "android-sim"
    assert Path(meta["policy"]["model"]).resolve() == BUNDLED.resolve()
    assert (out / "step_000.png").exists()


@pytest.mark.slow
def test_make_demo_solves_its_task(tmp_path: Path, vagent_cmd: list[str],
                                   subprocess_env: dict[str, str]) -> None:
    """The README's first command: `make demo`'s `vagent run` (its task read from the Makefile)
    solves the task with the bundled model, and its last line says so and where the run is."""
    import re

    recipe = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    task = re.search(r'^demo:.*?vagent run "([^"]+)"', recipe, re.S | re.M).group(1)
    out = tmp_path / "demo"
    r = subprocess.run([*vagent_cmd, "run", task, "--out", str(out)], capture_output=True,
                       text=True, env={**subprocess_env, "COLUMNS": "40"}, timeout=600)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("success") and f"trajectory in {out}/" in last, r.stdout[-800:]
    assert json.loads((out / "meta.json").read_text())["result"]["success"] is True


@pytest.mark.slow
def test_bundled_model_short_eval_phone(tmp_path: Path) -> None:
    """20 held-out phone episodes (wordings and seeds never in the training data) through the
    real loop and the simulated phone."""
    pol = policies.make("tiny")
    try:
        res = evaluate(pol, 20, tmp_path, seed=77, max_steps=10, progress=False)
    finally:
        pol.close()
    assert res["episodes"] == 20
    assert res["metrics"]["success_rate"] >= 100 * PHONE_FLOOR, res["groups"]


@pytest.mark.slow
def test_bundled_model_short_eval_numberline(tmp_path: Path) -> None:
    """20 NumberLine games under the RL4VLM protocol, as 'vagent eval cards' plays them."""
    from vagent.benchmarks.cards.runner import evaluate as evaluate_cards

    res = evaluate_cards(["numberline"], 20, 0, lambda: policies.make("tiny"), tmp_path)
    game = res["groups"]["numberline"]
    assert game["episodes"] == 20
    assert game["success_rate"] >= 100 * NUMBERLINE_FLOOR, game
