"""Commands that load or save a checkpoint, run with their output piped to a file (as in
``vagent train sft ... > log 2>&1``): one line of our own per load ("loading X … done in
1.2 s"), and none of transformers' tqdm bars ("Loading weights", "Writing model shards"), whose
carriage returns turn a log into soup."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fixtures.tinymodel import oracle_sft_data


@pytest.fixture(scope="module")
def sft_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return oracle_sft_data(tmp_path_factory.mktemp("piped"), episodes=1)


def _piped(cmd: list[str], log: Path, env: dict[str, str]) -> str:
    with open(log, "wb") as sink:  # stdout and stderr into one file, as `> log 2>&1`
        done = subprocess.run(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, timeout=600)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, text[-2000:]
    return text


def _no_bars(text: str) -> None:
    assert "\r" not in text, text[:500]
    for bar in ("%|", "it/s]", "Loading weights", "Writing model shards"):
        assert bar not in text, f"{bar!r} in the piped output:\n{text[:500]}"
    loads = [line for line in text.splitlines() if line.startswith("loading ")]
    assert len(loads) == 1 and " done in " in loads[0], text[:500]


def test_train_sft_piped_shows_one_loading_line_and_no_progress_bars(
        sft_data: Path, small_image_qwen2vl: Path, tmp_path: Path, vagent_cmd: list[str],
        subprocess_env: dict[str, str]) -> None:
    # a checkpoint at every step and the final model: both save paths
    text = _piped([*vagent_cmd, "train", "sft", "--data", str(sft_data), "--model",
                   str(small_image_qwen2vl), "--out", str(tmp_path / "out"), "--max-steps", "2",
                   "--save-every", "1"], tmp_path / "log", subprocess_env)
    _no_bars(text)
    assert (tmp_path / "out" / "checkpoint-2").is_dir() and '"steps": 2' in text


def test_eval_with_a_local_model_piped_shows_one_loading_line_and_no_progress_bars(
        small_image_qwen2vl: Path, tmp_path: Path, vagent_cmd: list[str],
        subprocess_env: dict[str, str]) -> None:
    text = _piped([*vagent_cmd, "eval", "phone-sim", "--episodes", "1", "--max-steps", "1",
                   "--policy", "qwen-vl", "--model", str(small_image_qwen2vl), "--out",
                   str(tmp_path / "out")], tmp_path / "log", subprocess_env)
    _no_bars(text)
