"""``train sft --resume``: a run killed after a checkpoint continues from that checkpoint's step,
with its weights, optimizer, scheduler and random state — not from step 0.

Training is deterministic, so "the resumed losses equal the uninterrupted run's" alone would
also hold for a resume that silently starts over. This test therefore counts the batches the
resumed run actually trains on, compares the optimizer and scheduler state it saves with the
uninterrupted run's, and turns on attention dropout so the losses after the resume depend on the
restored random state.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from vagent.training import sft
from fixtures.tinymodel import oracle_sft_data


@pytest.fixture(scope="module")
def sft_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return oracle_sft_data(tmp_path_factory.mktemp("sft-resume"), episodes=2)


@pytest.fixture
def dropout_model(small_image_qwen2vl: Path, tmp_path: Path) -> Path:
    """The tiny checkpoint with attention dropout on: each training step draws from torch's RNG."""
    path = tmp_path / "dropout-model"
    shutil.copytree(small_image_qwen2vl, path)
    config = json.loads((path / "config.json").read_text())
    config["text_config"]["attention_dropout"] = 0.2
    (path / "config.json").write_text(json.dumps(config))
    return path


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record every micro-batch the trainer encodes (as its samples' answers)."""
    seen: list[list[str]] = []
    real = sft.Collator.__call__

    def call(self: Any, samples: list[dict[str, Any]]) -> dict[str, Any]:
        seen.append([s["messages"][-1]["content"] for s in samples])
        return real(self, samples)

    monkeypatch.setattr(sft.Collator, "__call__", call)
    return seen


def _training_state(checkpoint: Path) -> dict[str, Any]:
    import torch

    return torch.load(checkpoint / "optimizer.pt", weights_only=False)


# three short trainings on the CPU: minutes on a shared, loaded machine
@pytest.mark.timeout(900)
def test_resume_starts_at_the_checkpoint_step(sft_data: Path, dropout_model: Path,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from safetensors.torch import load_file

    base = dict(data=str(sft_data), model=str(dropout_model), lr=3e-3, batch_size=1,
                grad_accum=2, save_every=2, max_steps=4, epochs=3, keep_checkpoints=3)
    seen = _counting(monkeypatch)
    full = sft.train(sft.SFTConfig(out=str(tmp_path / "a"), **base), progress=False)
    assert full["steps"] == 4 and len(seen) == 8  # 4 steps of 2 micro-batches
    full_batches = list(seen)

    # killed after its checkpoint at step 2 (the later files never written), then resumed
    shutil.copytree(tmp_path / "a" / "checkpoint-2", tmp_path / "b" / "checkpoint-2")
    seen.clear()
    resumed = sft.train(sft.SFTConfig(out=str(tmp_path / "b"), **base), progress=False)
    assert resumed["steps"] == 4
    # only steps 3 and 4 were trained, on the batches the uninterrupted run used for them
    assert seen == full_batches[4:]

    losses_a = json.loads((tmp_path / "a" / "losses.json").read_text())
    losses_b = json.loads((tmp_path / "b" / "losses.json").read_text())
    assert losses_b[:2] == losses_a[:2]  # carried over from the checkpoint, not recomputed
    # the dropout masks after the resume come from the restored RNG: same losses
    assert losses_b == pytest.approx(losses_a, rel=1e-4)

    a, b = _training_state(tmp_path / "a" / "checkpoint-4"), \
        _training_state(tmp_path / "b" / "checkpoint-4")
    assert b["scheduler"]["last_epoch"] == a["scheduler"]["last_epoch"] == 4
    assert torch.equal(a["torch_rng"], b["torch_rng"])
    state_a, state_b = a["optimizer"]["state"], b["optimizer"]["state"]
    assert state_a.keys() == state_b.keys() and state_a
    for key in state_a:
        # AdamW's own step count says the moments saw all 4 steps, not only the last 2
        assert float(state_b[key]["step"]) == float(state_a[key]["step"]) == 4.0
        for moment in ("exp_avg", "exp_avg_sq"):
            assert torch.allclose(state_b[key][moment], state_a[key][moment],
                                  rtol=1e-4, atol=1e-7)
    trainer = json.loads((tmp_path / "b" / "checkpoint-4" / "trainer_state.json").read_text())
    assert trainer["step"] == 4
    weights_a = load_file(tmp_path / "a" / "model.safetensors")
    weights_b = load_file(tmp_path / "b" / "model.safetensors")
    assert weights_a.keys() == weights_b.keys()
    for name in weights_a:
        assert torch.allclose(weights_a[name], weights_b[name], rtol=1e-4, atol=1e-6), name


def test_dropout_makes_the_random_state_matter(sft_data: Path, dropout_model: Path,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above on the random state can fail: with another seed for the dropout masks
    (same data order), the losses differ."""
    import torch

    cfg = sft.SFTConfig(data=str(sft_data), model=str(dropout_model), out=str(tmp_path / "a"),
                        lr=3e-3, max_steps=2, save_every=100)
    sft.train(cfg, progress=False)
    first = json.loads((tmp_path / "a" / "losses.json").read_text())
    real = torch.manual_seed
    # the trainer seeds torch once at the start; shift only that seed
    monkeypatch.setattr(torch, "manual_seed", lambda seed: real(seed + 1))
    sft.train(cfg.model_copy(update={"out": str(tmp_path / "b")}), progress=False)
    second = json.loads((tmp_path / "b" / "losses.json").read_text())
    assert first != second
