"""Training data export, SFT (masks, checkpoints, resume, LoRA), the phone-sim evaluation and the
bundled tiny model as the default policy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vagent import envs
from vagent import policies
from vagent.actions import Frame
from vagent.actions.coords import from_screen
from vagent.actions.parsing import render
from vagent.training.datagen import card_episodes, generate, phone_episodes
from vagent.training.export import export, run_dirs, to_sharegpt, trajectory_samples
from vagent.policies.history import ImagePart
from vagent.agent.loop import Agent
from vagent.training.sft import (IGNORE, Collator, SFTConfig, TrainError, assistant_labels,
                         chat_messages, load_samples, train)
from vagent.benchmarks.phone_sim import held_out_episodes
from vagent.policies import formats
from vagent.actions.context import Context
from vagent.policies.bundled import BUNDLED, DEFAULTS, SYSTEM
from vagent.training.bundled import SIZES
from vagent.policies.model import ModelOptions, ModelPolicy

MIN_PX, MAX_PX = SIZES["min_pixels"], SIZES["max_pixels"]


@pytest.fixture(scope="module")
def oracle_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("oracle")
    counts = generate("phone-sim", out, episodes=4, seed=5, progress=False)
    assert counts["episodes"] == 4 and counts["successes"] == 4
    return out


# -- data ---------------------------------------------------------------------------------------
def test_same_seed_same_episodes_and_splits_disjoint() -> None:
    assert phone_episodes(30, 7) == phone_episodes(30, 7)
    assert phone_episodes(30, 7) != phone_episodes(30, 8)
    train = phone_episodes(300, 0)
    held = held_out_episodes(300, 1000)
    assert not {t.lower() for t, _ in train} & {t.lower() for t, _ in held}
    assert max(s for _, s in train) < min(s for _, s in held)


def test_training_data_never_comes_from_an_evaluation_split() -> None:
    from vagent.actions.errors import VagentError
    from vagent.training.datagen import episodes_for

    for split in ("held_out", "novel"):
        with pytest.raises(VagentError, match="not a training split"):
            episodes_for("phone-sim", 3, 0, split)
    assert episodes_for("phone-sim", 3, 0, "train-v1") == phone_episodes(3, 0, "train-v1")


def test_same_data_seed_same_training_data(oracle_runs: Path, tmp_path: Path) -> None:
    """The documented recipe is reproducible: a second generation with the data seed gives the
    same actions, screenshots and exported samples."""
    import hashlib

    generate("phone-sim", tmp_path / "again", episodes=4, seed=5, progress=False)

    def fingerprint(root: Path) -> list[tuple]:
        out = []
        for d in run_dirs([root]):
            steps = [json.loads(l) for l in (d / "trajectory.jsonl").read_text().splitlines()]
            shots = [hashlib.sha256((d / s["screenshot"]).read_bytes()).hexdigest()
                     for s in steps]
            out.append(([s["action"] for s in steps], shots))
        return out

    assert fingerprint(tmp_path / "again") == fingerprint(oracle_runs)
    a = [s["messages"] for s in trajectory_samples(run_dirs([oracle_runs])[0], system=SYSTEM)]
    b = [s["messages"] for s in trajectory_samples(run_dirs([tmp_path / "again"])[0],
                                                   system=SYSTEM)]
    assert a == b


def test_export_swift_and_sharegpt(oracle_runs: Path, tmp_path: Path) -> None:
    counts = export([oracle_runs], tmp_path / "s.jsonl", "swift", min_pixels=MIN_PX,
                    max_pixels=MAX_PX, progress=False)
    steps = sum(len((d / "trajectory.jsonl").read_text().splitlines())
                for d in run_dirs([oracle_runs]))
    assert counts["runs_used"] == 4 and counts["samples"] == steps == counts["images"]
    rows = [json.loads(l) for l in (tmp_path / "s.jsonl").read_text().splitlines()]
    for row in rows:
        roles = [m["role"] for m in row["messages"]]
        assert roles[0] == "system" and roles[-1] == "assistant" and roles.count("assistant") == 1
        assert sum(m["content"].count("<image>") for m in row["messages"]) == len(row["images"])
        assert all(Path(p).exists() for p in row["images"])
        assert "✿FUNCTION✿: mobile_use" in row["messages"][-1]["content"]
    export([oracle_runs], tmp_path / "g.jsonl", "sharegpt", min_pixels=MIN_PX,
           max_pixels=MAX_PX, progress=False)
    for line, swift in zip((tmp_path / "g.jsonl").read_text().splitlines(), rows):
        g = json.loads(line)
        whos = [t["from"] for t in g["conversations"]]
        assert whos[-1] == "gpt" and all(a != b for a, b in zip(whos, whos[1:]))
        assert g["system"] == swift["messages"][0]["content"] and g["images"] == swift["images"]
        assert g == to_sharegpt(swift)


def test_export_weights_a_mix_by_folder_and_by_action(oracle_runs: Path, tmp_path: Path) -> None:
    """--repeat numberline=3 writes a folder's samples three times; --repeat-action type=3 each
    sample that types (copies the task's words) three times, the others once."""
    once = export([oracle_runs], tmp_path / "once.jsonl", min_pixels=MIN_PX, max_pixels=MAX_PX,
                  progress=False)
    rows = (tmp_path / "once.jsonl").read_text().splitlines()
    typing = [r for r in rows
              if '"action": "type"' in json.loads(r)["messages"][-1]["content"]]
    assert typing and len(typing) < len(rows)
    counts = export([oracle_runs], tmp_path / "w.jsonl", min_pixels=MIN_PX, max_pixels=MAX_PX,
                    progress=False, repeat={oracle_runs.name: 2}, repeat_actions={"type": 3})
    weighted = (tmp_path / "w.jsonl").read_text().splitlines()
    assert counts["samples"] == once["samples"] == len(rows)
    assert counts["rows"] == len(weighted) == 2 * (len(rows) + 2 * len(typing))
    assert sorted(weighted) == sorted(2 * rows + 4 * typing)


def test_export_copies_remake_the_typed_text_in_task_and_answer(oracle_runs: Path,
                                                                tmp_path: Path) -> None:
    """--copies 2: after each sample that types a text found in the task, two rows where that
    text's words are new in the task, the history and the answer alike (so only copying the
    task gives the answer); nothing else changes, and the same seed writes the same rows."""
    once = export([oracle_runs], tmp_path / "once.jsonl", min_pixels=MIN_PX, max_pixels=MAX_PX,
                  progress=False)
    counts = export([oracle_runs], tmp_path / "c.jsonl", min_pixels=MIN_PX, max_pixels=MAX_PX,
                    progress=False, copies=2, copy_seed=3)
    rows = [json.loads(r) for r in (tmp_path / "c.jsonl").read_text().splitlines()]
    typed = [json.loads(r) for r in (tmp_path / "once.jsonl").read_text().splitlines()
             if '"action": "type"' in json.loads(r)["messages"][-1]["content"]]
    assert typed and counts["copies"] == 2 * len(typed)
    assert counts["rows"] == once["rows"] + counts["copies"] == len(rows)
    for original in typed:
        i = rows.index(original)
        value = json.loads(original["messages"][-1]["content"].split("✿ARGS✿:")[1])["text"]
        value = value.rstrip("\n")
        for variant in rows[i + 1:i + 3]:
            new = json.loads(variant["messages"][-1]["content"].split("✿ARGS✿:")[1])["text"]
            new = new.rstrip("\n")
            assert new != value and len(new.split()) == len(value.split())
            assert variant["images"] == original["images"]
            for a, b in zip(original["messages"], variant["messages"]):
                assert b["content"] == a["content"].replace(value, new)
            task = variant["messages"][1]["content"]
            assert new in task and value not in task
    again = export([oracle_runs], tmp_path / "c2.jsonl", min_pixels=MIN_PX,
                   max_pixels=MAX_PX, progress=False, copies=2, copy_seed=3)
    assert again == counts
    assert (tmp_path / "c2.jsonl").read_text() == (tmp_path / "c.jsonl").read_text()


def test_export_answers_parse_back_to_the_oracle_actions(oracle_runs: Path) -> None:
    fmt = formats.get("qwen2vl")
    frame = fmt.frame(MIN_PX, MAX_PX)
    for d in run_dirs([oracle_runs]):
        steps = [json.loads(l) for l in (d / "trajectory.jsonl").read_text().splitlines()]
        samples = list(trajectory_samples(d, min_pixels=MIN_PX, max_pixels=MAX_PX))
        assert len(samples) == len(steps)
        for sample, step in zip(samples, steps):
            parsed = fmt.parse(sample["messages"][-1]["content"], frame)
            space = envs.android.env.ActionSpace("mobile", envs.android.env.MOBILE)
            got = space.validate(parsed.calls[0])
            from vagent.actions.coords import to_screen

            px = to_screen(got, frame, 1080, 2400).action.dump()
            want = step["action"]
            for k, v in want.items():  # points come back within rounding of rel1000 units
                assert abs(px[k] - v) <= 2 if isinstance(v, int) and k in "xy" else px[k] == v


class RecordingPolicy(ModelPolicy):
    """A model policy whose 'model' writes the oracle's action in the vagent-tiny format, recording
    every prompt it is given — the inference-time prompts to compare the export against."""

    name = "recording"

    def __init__(self) -> None:
        self.options = ModelOptions(keep_images=DEFAULTS["keep_images"], max_new_tokens=64,
                                    context_tokens=DEFAULTS["context_tokens"])
        self.fmt = formats.get("vagent-tiny")  # the bundled model's layout
        self.prompts: list[Any] = []

    min_pixels = property(lambda self: MIN_PX)
    max_pixels = property(lambda self: MAX_PX)

    def generate(self, prompt: Any, context: Context, timings: dict[str, float]) -> str:
        self.prompts.append(prompt)
        action = context.oracle()
        w, h = context.screen
        return render(from_screen(action, self.frame(), w, h), self.fmt.parser,
                      frame=self.frame())


def _as_swift(prompt: Any) -> list[dict[str, str]]:
    return [{"role": m.role, "content": "".join("<image>" if isinstance(p, ImagePart) else p
                                                for p in m.parts)} for m in prompt.messages]


@pytest.mark.parametrize(("keep", "system"), [(1, SYSTEM), (2, None)])
def test_export_is_exactly_the_inference_prompt(tmp_path: Path, keep: int,
                                                system: str | None) -> None:
    """A model policy's prompts at inference == the export of its run == the export of the
    oracle's run of the same episode (pixel actions rendered into the format), with the
    format's system prompt or one of the checkpoint's own."""
    env = envs.make("android-sim")
    policy = RecordingPolicy()
    policy.options.keep_images = keep
    policy.options.system = system
    oracle = policies.make("oracle")
    opts = dict(fmt_name="vagent-tiny", keep_images=keep, min_pixels=MIN_PX, max_pixels=MAX_PX,
                context_tokens=DEFAULTS["context_tokens"], max_new_tokens=64, system=system)
    try:
        for i, (task, seed) in enumerate(phone_episodes(3, 11)):
            policy.prompts.clear()
            traj = Agent(policy, env, out=tmp_path / f"m{i}", max_steps=12,
                         meta={"env_name": "android-sim"}).run(task, seed=seed)
            Agent(oracle, env, out=tmp_path / f"o{i}", max_steps=12,
                  meta={"env_name": "android-sim"}).run(task, seed=seed)
            assert traj.success
            model_side = list(trajectory_samples(tmp_path / f"m{i}", **opts))
            oracle_side = list(trajectory_samples(tmp_path / f"o{i}", **opts))
            assert len(model_side) == len(oracle_side) == len(policy.prompts) > 1
            for ms, os_, prompt, rec in zip(model_side, oracle_side, policy.prompts,
                                            traj.steps):
                assert ms["messages"][:-1] == _as_swift(prompt)
                sys_text = ms["messages"][0]["content"]
                assert (sys_text == system) if system else ("mobile_use:" in sys_text)
                assert ms["messages"][-1]["content"] == rec.raw
                assert os_["messages"] == ms["messages"]
                assert [Path(p).name for p in os_["images"]] == \
                    [Path(p).name for p in ms["images"]] == \
                    [f"step_{n:03d}.png" for n in range(max(0, rec.step - keep + 1),
                                                         rec.step + 1)]
    finally:
        env.close()


def test_card_data_is_the_protocol_prompt_and_answer(tmp_path: Path, oracle_runs: Path) -> None:
    """NumberLine training data: the RL4VLM prompt the cards evaluation sends, and the oracle's
    move written as the protocol's JSON answer, which reads back to that move."""
    from vagent.policies.history import HistoryConfig, protocol_prompt
    from vagent.benchmarks.cards.runner import TASKS, episode_seed

    counts = generate("numberline", tmp_path / "runs", episodes=6, seed=3, progress=False)
    assert counts["successes"] == 6
    seeds = [s for _, s in card_episodes("numberline", 50, 3)]
    assert len(set(seeds)) == 50 and seeds == [s for _, s in card_episodes("numberline", 50, 3)]
    assert not set(seeds) & {episode_seed(0, "numberline", i) for i in range(1000)}
    export([tmp_path / "runs"], tmp_path / "nl.jsonl", min_pixels=MIN_PX, max_pixels=MAX_PX,
           system=SYSTEM, progress=False)
    rows = [json.loads(l) for l in (tmp_path / "nl.jsonl").read_text().splitlines()]
    assert len(rows) == counts["steps"]
    env = envs.make("numberline")
    base = env.unwrapped
    first = 0  # each episode's first sample: its prompt is the reset deal's
    for d in run_dirs([tmp_path / "runs"]):
        meta = json.loads((d / "meta.json").read_text())
        steps = [json.loads(l) for l in (d / "trajectory.jsonl").read_text().splitlines()]
        obs, _ = env.reset(seed=meta["seed"], options={"task": TASKS["numberline"]})
        ctx = Context(task=TASKS["numberline"], space=base.action_space, observation=obs,
                      screen=base.screen_size, protocol=base.protocol)
        want = _as_swift(protocol_prompt(ctx, HistoryConfig(min_pixels=MIN_PX,
                                                            max_pixels=MAX_PX)))
        assert rows[first]["messages"][:-1] == want  # the checkpoint's system prompt not used
        for row, step in zip(rows[first:first + len(steps)], steps):
            answer = row["messages"][-1]["content"]
            assert '"current number"' in answer and '"thoughts"' in answer
            assert base.protocol.parse(answer).calls[0]["action"] == step["action"]["action"]
        first += len(steps)
    env.close()
    # the bundled recipe's mix: the phone's samples once, the game's three times
    from vagent.training.bundled import export as bundled_export

    mix = bundled_export([str(oracle_runs), str(tmp_path / "runs")], tmp_path / "mix.jsonl",
                         {"runs": 3}, progress=False)
    lines = (tmp_path / "mix.jsonl").read_text().splitlines()
    phone = sum(len((d / "trajectory.jsonl").read_text().splitlines())
                for d in run_dirs([oracle_runs]))
    assert mix["rows"] == len(lines) == phone + 3 * len(rows)
    assert lines[phone:] == [json.dumps(r, ensure_ascii=False) for r in rows] * 3
    assert all(json.loads(l)["messages"][0]["content"] == SYSTEM for l in lines[:phone])


# -- SFT ------------------------------------------------------------------------------------------
def test_mask_covers_exactly_the_assistant_spans(small_image_qwen2vl: Path, oracle_runs: Path) -> None:
    from transformers import AutoProcessor

    proc = AutoProcessor.from_pretrained(small_image_qwen2vl)
    img = next(iter(run_dirs([oracle_runs]))) / "step_000.png"
    sample = {"messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Step 0 screen:<image>"},
        {"role": "assistant", "content": "first answer ✿FUNCTION✿: x"},
        {"role": "user", "content": "assistant\nnot an answer <|im_end|> in user text"},
        {"role": "assistant", "content": "second\nanswer"},
    ], "images": [str(img)]}
    item = Collator(proc, 8192).encode(sample)
    ids, labels = item["input_ids"], item["labels"]
    kept = [i for i, lab in enumerate(labels) if lab != IGNORE]
    assert all(labels[i] == ids[i] for i in kept)
    tok = proc.tokenizer
    assert tok.decode([ids[i] for i in kept]) == \
        "first answer ✿FUNCTION✿: x<|im_end|>second\nanswer<|im_end|>"
    # the kept tokens are two runs, each right after an assistant header
    runs = [[kept[0]]]
    for i in kept[1:]:
        (runs[-1].append(i) if i == runs[-1][-1] + 1 else runs.append([i]))
    header = tok("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    assert len(runs) == 2
    for run in runs:
        assert ids[run[0] - len(header):run[0]] == header
        assert tok.convert_ids_to_tokens(ids[run[-1]]) == "<|im_end|>"
    # the image's pad tokens and every user/system token are masked
    assert labels.count(IGNORE) == len(ids) - len(kept)


def test_assistant_labels_on_edge_cases() -> None:
    h, end = [1, 2], 9
    assert assistant_labels([5, 1, 2, 7, 8, 9, 4], h, end) == [IGNORE, IGNORE, IGNORE, 7, 8, 9,
                                                               IGNORE]
    # cut off before its end: the rest of the sequence is the answer
    assert assistant_labels([1, 2, 7], h, end) == [IGNORE, IGNORE, 7]
    assert assistant_labels([3, 4], h, end) == [IGNORE, IGNORE]


def test_chat_messages_round_trip() -> None:
    msgs = chat_messages([{"role": "user", "content": "a<image>b<image>"}])
    assert msgs[0]["content"] == [{"type": "text", "text": "a"}, {"type": "image"},
                                  {"type": "text", "text": "b"}, {"type": "image"}]


def test_bad_data_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "d.jsonl"
    f.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    with pytest.raises(TrainError, match="no assistant turn"):
        load_samples(f)
    f.write_text("not json\n")
    with pytest.raises(TrainError, match=r"d\.jsonl:1: not JSON"):
        load_samples(f)
    f.write_text(json.dumps({"messages": [{"role": "user", "content": "<image>"},
                                          {"role": "assistant", "content": "x"}]}) + "\n")
    with pytest.raises(TrainError, match="differ"):
        load_samples(f)
    with pytest.raises(TrainError, match="vagent data export"):
        load_samples(tmp_path / "missing.jsonl")


def _data(oracle_runs: Path, tmp_path: Path) -> Path:
    # small images keep the test quick; the numbers travel with the processor, not the data
    export([oracle_runs], tmp_path / "d.jsonl", min_pixels=MIN_PX, max_pixels=MAX_PX,
           progress=False)
    return tmp_path / "d.jsonl"


def test_sft_learns_checkpoints_and_resumes_identically(small_image_qwen2vl: Path,
                                                        oracle_runs: Path,
                                                        tmp_path: Path) -> None:
    import shutil

    data = _data(oracle_runs, tmp_path)
    base = dict(data=str(data), model=str(small_image_qwen2vl), lr=3e-3, batch_size=2,
                save_every=2, max_steps=4, epochs=3)
    full = train(SFTConfig(out=str(tmp_path / "a"), **base), progress=False)
    assert full["steps"] == 4 and full["final_loss"] < full["first_loss"]
    losses = json.loads((tmp_path / "a" / "losses.json").read_text())
    # a run killed after its checkpoint at step 2 (later files gone), then resumed: same losses
    shutil.copytree(tmp_path / "a" / "checkpoint-2", tmp_path / "b" / "checkpoint-2")
    train(SFTConfig(out=str(tmp_path / "b"), **base), progress=False)
    resumed = json.loads((tmp_path / "b" / "losses.json").read_text())
    assert resumed == pytest.approx(losses, rel=1e-4)
    # a run ended early at step 3 of the same 4-step schedule: the full run's first 3 steps
    cut = train(SFTConfig(out=str(tmp_path / "c"), stop_at=3, **base), progress=False)
    assert cut["steps"] == 3 and cut["total_steps"] == 4 and cut["stopped"] == "stop_at"
    assert json.loads((tmp_path / "c" / "losses.json").read_text()) == pytest.approx(
        losses[:3], rel=1e-4)
    # the output folder is a checkpoint the qwen-vl policy loads
    pol = policies.make("qwen-vl", model=str(tmp_path / "a"), max_new_tokens=4)
    assert pol.model_type == "qwen2_vl"
    pol.close()
    # training on other data into the same folder is refused
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(data.read_text().splitlines()[:3]) + "\n")
    with pytest.raises(TrainError, match="other data"):
        train(SFTConfig(out=str(tmp_path / "b"), **{**base, "data": str(other)}),
              progress=False)


def test_sft_overfits_one_batch(small_image_qwen2vl: Path, oracle_runs: Path,
                    tmp_path: Path) -> None:
    data = _data(oracle_runs, tmp_path)
    one = tmp_path / "one.jsonl"
    one.write_text(data.read_text().splitlines()[1] + "\n")
    train(SFTConfig(data=str(one), model=str(small_image_qwen2vl), out=str(tmp_path / "o"),
                    lr=3e-3, epochs=30, warmup=0.0), progress=False)
    losses = json.loads((tmp_path / "o" / "losses.json").read_text())
    assert len(losses) == 30 and losses[-1] < 0.6 * losses[0]


def test_sft_lora_merges_into_a_loadable_checkpoint(small_image_qwen2vl: Path, oracle_runs: Path,
                                                    tmp_path: Path) -> None:
    data = _data(oracle_runs, tmp_path)
    out = tmp_path / "lora"
    s = train(SFTConfig(data=str(data), model=str(small_image_qwen2vl), out=str(out), lora=True,
                        lora_rank=4, max_steps=2, save_every=1, batch_size=2), progress=False)
    assert s["steps"] == 2
    assert (out / "checkpoint-2" / "adapter_model.safetensors").exists()
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "qwen2_vl"
    pol = policies.make("qwen-vl", model=str(out), max_new_tokens=4)
    pol.close()


def test_cli_train_refuses_existing_checkpoints(tmp_path: Path, vagent_cmd: list[str],
                                                subprocess_env: dict[str, str]) -> None:
    (tmp_path / "checkpoint-3").mkdir()
    (tmp_path / "checkpoint-3" / "trainer_state.json").write_text("{}")
    r = subprocess.run([*vagent_cmd, "train", "sft", "--data", "x.jsonl", "--model", "m",
                        "--out", str(tmp_path)], capture_output=True, text=True,
                       env=subprocess_env, timeout=60)
    assert r.returncode == 1 and "--resume" in r.stderr and "Traceback" not in r.stderr
