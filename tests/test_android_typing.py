"""Typing fuzz: nasty strings typed through AndroidEnv over adb-shell arrive in the simulated
phone's ``typed`` exactly — shell metacharacters stay data, '%s' survives Android's own escape,
unicode goes through the ADB Keyboard. The simulator's shell really runs $(...) and backticks,
so a text that escaped its quoting would change what arrives (or run commands)."""

from __future__ import annotations

import random

from vagent.envs.android.sim.commands import decode_input_text
from vagent.envs.android.sim.shell import Shell
from vagent.envs.android.text import input_text_commands, runs

NASTY = ["'", '"', "$(", ")", "`", ";", "&&", "||", "|", "%s", "%", "s", "\\", "\n", "\t", " ",
         "  ", "$HOME", "${PATH}", "$?", "*", "?", "~", "#", "!", "<", ">", ">&2", "2>&1", "(",
         "{", "}", "[", "]", "&", "-", "--", "=", "\\'", "'\\''", "%%s", "%s%s", "\\n", "é",
         "ß", "東京", "☕", "🍕", "\u200b", "Ω", "\r", "\x07", "\u00a0", "a", "Z", "0", "input",
         "rm -rf /", "echo pwned", "$(input text PWNED)", "`input keyevent 3`", "; reboot"]


def fuzz_strings(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = ["", " ", "%s", "'", '"', "\\", "\n", "\t", "$(id)", "`id`", "a; input text X",
           "100% sure", "%s%s%s", "% s", "%", "s", "'%s'", "\\%s", "café", "😀\n😀"]
    while len(out) < n:
        k = rng.randint(1, 8)
        out.append("".join(rng.choice(NASTY) for _ in range(k)))
    return out


def test_fuzz_typed_byte_for_byte(android_env, sim_phone) -> None:
    env = android_env
    env.reset(options={"task": "go home"})
    strings = fuzz_strings(240)
    assert len(set(strings)) >= 200
    seen = 0
    for text in strings:
        env.type_text(text)
        typed = env.sim_state()["typed"]
        got = "".join(typed[seen:])
        seen = len(typed)
        assert got.encode("utf-8") == text.encode("utf-8"), (text, got)
    # every line vagent sent ran exactly one command on the device: nothing was injected
    for rec in sim_phone.records():
        assert len(rec["commands"]) == 1, rec["raw"]
