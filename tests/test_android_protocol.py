"""The simulated phone's ADB wire protocol: handshake, AUTH with RSA host keys, malformed
packets (that connection closes, the others keep working), and vagent's key handling."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from vagent.envs.android.adb import AdbError, Device, config_dir, key_path
from vagent.envs.android.sim import protocol as P
from vagent.envs.android.sim.server import PhoneServer


def _raw(server: PhoneServer) -> socket.socket:
    s = socket.create_connection((server.host, server.port), timeout=5)
    return s


def _read_msg(s: socket.socket) -> P.Message:
    head = s.recv(24, socket.MSG_WAITALL)
    cmd, a0, a1, n, _check, _magic = P.HEADER.unpack(head)
    data = s.recv(n, socket.MSG_WAITALL) if n else b""
    return P.Message(cmd, a0, a1, data)


def _closed(s: socket.socket) -> bool:
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return True


def test_handshake_and_shell_by_hand(sim_phone) -> None:
    s = _raw(sim_phone.server)
    s.sendall(P.Message(P.CNXN, P.VERSION, 4096, b"host::\0").pack())
    m = _read_msg(s)
    assert m.name == "CNXN" and P.parse_banner(m.data)["ro.product.model"] == \
        "vagent simulated phone"
    s.sendall(P.Message(P.OPEN, 7, 0, b"shell:wm size\0").pack())
    okay = _read_msg(s)
    assert okay.name == "OKAY" and okay.arg1 == 7
    w = _read_msg(s)
    assert (w.name, w.data) == ("WRTE", b"Physical size: 1080x2400\n")
    s.sendall(P.Message(P.OKAY, 7, okay.arg0).pack())
    assert _read_msg(s).name == "CLSE"
    # output larger than maxdata comes in OKAY-paced chunks of at most maxdata bytes
    s.sendall(P.Message(P.OPEN, 8, 0, b"exec:screencap\0").pack())
    okay = _read_msg(s)
    total = 0
    while True:
        m = _read_msg(s)
        if m.name == "CLSE":
            break
        assert m.name == "WRTE" and len(m.data) <= 4096
        total += len(m.data)
        s.sendall(P.Message(P.OKAY, 8, okay.arg0).pack())
    assert total == 16 + 1080 * 2400 * 4
    s.close()


def _bad_packets() -> dict[str, bytes]:
    good = P.Message(P.CNXN, P.VERSION, 4096, b"host::\0").pack()
    bad_magic = good[:20] + b"\0\0\0\0" + good[24:]
    unknown = struct.pack("<6I", 0x4B4B4B4B, 0, 0, 0, 0, 0x4B4B4B4B ^ 0xFFFFFFFF)
    huge = struct.pack("<6I", P.CNXN, P.VERSION, 4096, 50_000_000, 0, P.CNXN ^ 0xFFFFFFFF)
    bad_sum = struct.pack("<6I", P.CNXN, P.VERSION, 4096, 7, 12345,
                          P.CNXN ^ 0xFFFFFFFF) + b"host::\0"
    open_first = P.Message(P.OPEN, 1, 0, b"shell:id\0").pack()
    return {"bad magic": bad_magic, "unknown command": unknown, "oversized payload": huge,
            "bad data check": bad_sum, "OPEN before CNXN": open_first, "garbage": b"\x00" * 24,
            "short header": b"CNXN"}


@pytest.mark.parametrize("name", list(_bad_packets()))
def test_malformed_packet_closes_only_that_connection(sim_phone, name: str) -> None:
    server = sim_phone.server
    good = Device(server.serial, timeout=5)
    good.connect()
    assert good.shell("echo before").strip() == "before"
    bad = _raw(server)
    bad.sendall(_bad_packets()[name])
    if name == "short header":
        bad.shutdown(socket.SHUT_WR)
    assert _closed(bad)
    bad.close()
    assert good.shell("echo after").strip() == "after"  # the other client is still served
    fresh = Device(server.serial, timeout=5)
    fresh.connect()
    assert fresh.shell("getprop ro.product.device").strip() == "vagent_sim"
    good.close()
    fresh.close()
    if name not in ("short header",):
        assert any("malformed packet" in e for e in server.errors), server.errors


def test_unknown_service_is_refused(sim_phone) -> None:
    s = _raw(sim_phone.server)
    s.sendall(P.Message(P.CNXN, P.VERSION, 4096, b"host::\0").pack())
    _read_msg(s)
    s.sendall(P.Message(P.OPEN, 3, 0, b"sync:\0").pack())
    m = _read_msg(s)
    assert m.name == "CLSE" and m.arg1 == 3
    s.close()


def test_auth_accepts_an_authorised_key_and_refuses_others(tmp_path: Path,
                                                           android_home: Path) -> None:
    mine = tmp_path / "mine" / "adbkey"
    other = tmp_path / "other" / "adbkey"
    key_path(mine), key_path(other)  # created on first use
    pub = (Path(str(mine) + ".pub")).read_text()
    with PhoneServer(require_auth=True, authorized_keys=[pub], accept_new_keys=False) as srv:
        ok = Device(srv.serial, key=mine, timeout=5, auth_timeout=5)
        ok.connect()
        assert ok.shell("echo hi").strip() == "hi"
        ok.close()
        with pytest.raises(AdbError, match="refused this computer's key"):
            Device(srv.serial, key=other, timeout=5, auth_timeout=5).connect()
        assert "rejected an unknown host key" in srv.errors


def test_new_key_is_accepted_when_the_device_allows_it(android_home: Path) -> None:
    with PhoneServer(require_auth=True) as srv:
        dev = Device(srv.serial, timeout=5)
        dev.connect()
        assert dev.shell("id").startswith("uid=2000(shell)")
        dev.close()
        assert len(srv.keys()) == 1
    # the key was created once, in the config dir, and is reused
    key = config_dir() / "adbkey"
    assert key.exists() and Path(str(key) + ".pub").exists()
    assert key_path() == key
    mtime = key.stat().st_mtime_ns
    assert key_path() == key and key.stat().st_mtime_ns == mtime


def test_existing_android_adbkey_is_reused(android_home: Path) -> None:
    from adb_shell.auth.keygen import keygen

    (android_home / ".android").mkdir()
    keygen(str(android_home / ".android" / "adbkey"))
    assert key_path() == android_home / ".android" / "adbkey"
    pub = (android_home / ".android" / "adbkey.pub").read_text()
    with PhoneServer(require_auth=True, authorized_keys=[pub], accept_new_keys=False) as srv:
        dev = Device(srv.serial, timeout=5)
        dev.connect()
        assert dev.shell("echo ok").strip() == "ok"
        dev.close()
    assert not (config_dir() / "adbkey").exists()


def test_android_pubkey_decoding_rejects_junk() -> None:
    with pytest.raises(P.ProtocolError):
        P.decode_android_pubkey(b"not base64 !!")
    with pytest.raises(P.ProtocolError):
        P.decode_android_pubkey(b"QUJD user@host")


def test_cli_sim_phone_serves_and_writes_state_and_log(tmp_path: Path, vagent_cmd,
                                                       subprocess_env, android_home) -> None:
    import json
    import signal
    import subprocess
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state, log = tmp_path / "s.json", tmp_path / "l.jsonl"
    env = {**subprocess_env, "HOME": str(android_home)}
    proc = subprocess.Popen(vagent_cmd + ["sim", "phone", "--port", str(port), "--state-file",
                                          str(state), "--log", str(log), "--task",
                                          "go to the home screen"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "a simulator, not Android" in line and f"127.0.0.1:{port}" in line
        dev = Device(f"127.0.0.1:{port}", timeout=5)
        dev.connect()
        dev.shell("input text 'x y'")
        dev.close()
        for _ in range(50):
            if state.exists() and json.loads(state.read_text())["typed"]:
                break
            time.sleep(0.05)
        data = json.loads(state.read_text())
        assert data["typed"] == ["x y"] and data["screen"] == "gmail.email"
        rec = json.loads(log.read_text().splitlines()[-1])
        assert rec["raw"] == "input text 'x y'" and rec["argv"] == ["input", "text", "x y"]
        # a second server on the same port says what to do
        busy = subprocess.run(vagent_cmd + ["sim", "phone", "--port", str(port)], env=env,
                              capture_output=True, text=True, timeout=30)
        assert busy.returncode == 1 and "pick another --port" in busy.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
