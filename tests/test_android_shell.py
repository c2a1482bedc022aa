"""The simulated phone's shell parses like a POSIX sh (quotes, expansions, operators)."""

from __future__ import annotations

import pytest

from vagent.envs.android.sim.shell import Shell, ShellSyntaxError, parse


def _sh():
    ran: list[list[str]] = []

    def runner(argv, stdin):  # noqa: ANN001, ANN202
        ran.append(argv)
        if argv[0] == "echo":
            return (" ".join(argv[1:]) + "\n").encode(), b"", 0
        if argv[0] in ("true", "false"):
            return b"", b"", int(argv[0] == "false")
        if argv[0] == "cat":
            return stdin, b"", 0
        return b"", f"sh: {argv[0]}: not found\n".encode(), 127

    return Shell(runner), ran


@pytest.mark.parametrize("line,argv", [
    ("echo 'a b'  c", ["echo", "a b", "c"]),
    ("echo \"a  $(echo x   y)\"", ["echo", "a  x y"]),
    ("echo $(echo x   y)", ["echo", "x", "y"]),
    ("echo a\\ b \\$HOME", ["echo", "a b", "$HOME"]),
    ("echo \"\\$ \\` \\\" \\\\ \\n\"", ["echo", "$ ` \" \\ \\n"]),
    ("echo 'it'\\''s'", ["echo", "it's"]),
    ("echo ''", ["echo", ""]),
    ("echo $EMPTY x", ["echo", "x"]),
    ("echo \"$EMPTY\"", ["echo", ""]),
    ("echo `echo bq`", ["echo", "bq"]),
    ("echo a#b # comment", ["echo", "a#b"]),
    ("echo a\\\nb", ["echo", "ab"]),
    ("echo '\n'", ["echo", "\n"]),
])
def test_words(line: str, argv: list[str]) -> None:
    sh, ran = _sh()
    sh.run(line)
    assert ran[-1] == argv


def test_operators_and_pipes() -> None:
    sh, ran = _sh()
    assert sh.run("false && echo no || echo yes").out == b"yes\n"
    assert sh.run("true && echo a; echo b").out == b"a\nb\n"
    assert sh.run("echo piped | cat").out == b"piped\n"
    assert sh.run("echo x >/dev/null; nope 2>/dev/null; echo $?").out == b"127\n"
    assert sh.run("echo a &&\n echo b").out == b"a\nb\n"
    res = sh.run("nope")
    assert res.status == 127 and b"not found" in res.out


@pytest.mark.parametrize("line", ["echo 'open", "echo \"open", "echo $(echo", "echo `x",
                                  "; echo", "echo a |", "echo a && && echo", "(echo)",
                                  "sleep 1 &"])
def test_syntax_errors_run_nothing(line: str) -> None:
    sh, ran = _sh()
    res = sh.run(line)
    assert res.status == 2 and res.out.startswith(b"/system/bin/sh: syntax error")
    assert ran == []
    with pytest.raises(ShellSyntaxError):
        parse(line)


def test_redirection_to_a_file_is_refused() -> None:
    sh, ran = _sh()
    res = sh.run("echo a; echo b > /sdcard/f")
    assert ran == [["echo", "a"]] and b"file system" in res.out
