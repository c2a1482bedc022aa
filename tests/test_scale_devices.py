"""One device per worker (issue 19): ``--serial a,b`` runs the phone episodes on simulated phones
served over the real ADB wire protocol by other servers (as ``vagent sim phone`` serves them),
worker k on device k — and gives the results of a run on in-process phones. A wrong ``--serial``
or more workers than devices is a one-line usage error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vagent.cli.main import main
from fixtures.android import resets as _resets
from fixtures.benchmark_runs import recorded_actions


def _main(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def _summary(out: Path) -> dict[str, Any]:
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in s.items() if k != "ran"}


def _records(out: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, (out / "episodes.jsonl").read_text(
        encoding="utf-8").splitlines())}


def test_eval_on_two_served_phones_equals_a_run_on_in_process_ones(
        phones: list[Any], tmp_path: Path) -> None:
    serials = ",".join(p.serial for p in phones)
    common = ["eval", "phone-sim", "--episodes", "6", "--max-steps", "8"]
    assert _main(*common, "--out", str(tmp_path / "devices"), "--serial", serials) == 0
    assert _main(*common, "--out", str(tmp_path / "local")) == 0
    assert _summary(tmp_path / "devices") == _summary(tmp_path / "local")
    assert _summary(tmp_path / "local")["episodes"] == 6
    assert _records(tmp_path / "devices") == _records(tmp_path / "local")
    split = [_resets(tmp_path, k) for k in range(2)]
    assert sum(split) == 6 and min(split) >= 1, split  # both devices ran episodes


def test_data_generate_on_two_served_phones_writes_the_same_runs(
        phones: list[Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    serials = ",".join(p.serial for p in phones)
    common = ["data", "generate", "phone-sim", "--episodes", "4", "--seed", "5"]
    assert _main(*common, "--out", str(tmp_path / "devices"), "--serial", serials) == 0
    assert _main(*common, "--out", str(tmp_path / "local")) == 0
    counts = [json.loads(line) for line in capsys.readouterr().out.splitlines()
              if line.startswith("{")]
    assert len(counts) == 2 and counts[0] == counts[1] and counts[0]["episodes"] == 4

    assert recorded_actions(tmp_path / "devices") == recorded_actions(tmp_path / "local")
    assert len(recorded_actions(tmp_path / "local")) == 4
    split = [_resets(tmp_path, k) for k in range(2)]
    assert sum(split) == 4 and min(split) >= 1, split


@pytest.mark.parametrize("args, says", [
    (["--serial", "127.0.0.1:1,127.0.0.1:2", "--workers", "3"], "3 workers but 2 devices"),
    (["--serial", "127.0.0.1:1,,127.0.0.1:2"], "separated by commas"),
    (["--serial", "127.0.0.1:1,127.0.0.1:1"], "twice"),
], ids=["more-workers-than-devices", "empty-serial", "same-device-twice"])
@pytest.mark.parametrize("command", [["eval", "phone-sim"], ["data", "generate", "phone-sim"]],
                         ids=["eval", "data-generate"])
def test_a_wrong_serial_list_is_a_one_line_usage_error(
        command: list[str], args: list[str], says: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(*command, "--out", str(tmp_path / "x"), *args) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (tmp_path / "x" / "episodes.jsonl").exists()


def test_a_card_game_takes_no_devices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main("data", "generate", "numberline", "--out", str(tmp_path / "x"),
                 "--serial", "127.0.0.1:1") == 2
    assert "phone-sim episodes only" in capsys.readouterr().err


def test_a_device_that_is_not_a_simulated_phone_is_refused_in_one_line(
        phones: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from vagent.envs.android.sim import commands

    # the served phone names itself as an emulator would: no simulator state to set tasks up
    monkeypatch.setitem(commands.PROPS, "ro.product.device", "generic_x86_64")
    assert _main("eval", "phone-sim", "--episodes", "2", "--out", str(tmp_path / "x"),
                 "--serial", phones[0].serial) == 1
    err = capsys.readouterr().err.strip()
    assert "is not a simulated phone" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("serial, here", [
    ("127.0.0.1:5555", True), ("localhost:5037", True), ("[::1]:5555", True),
    ("127.0.1.1:5555", True), ("emulator-5554", True), ("R58M123ABC", True),
    ("10.0.3.7:5555", False), ("phone-farm-3.lan:5555", False), ("[fd00::7]:5555", False),
])
def test_a_device_says_whether_only_this_machine_reaches_it(serial: str, here: bool) -> None:
    from vagent.envs.android.simenv import ServedPhone

    assert ServedPhone(serial).on_this_machine is here
