"""``vagent parse`` has two readers of its command line: the typer command (cli/app.py: its
options, help and usage errors) and, for plain lines, cli/parse.py's ``plain``, which needs no
typer (startup: docs/performance.md). Whichever reads a line, the user sees the same bytes:
each line below runs through the entry point and through typer alone (subprocesses), and
stdout, stderr and the exit code must be identical. The table of options ``plain`` reads is
checked against the typer command's."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vagent.cli.parse import DEFAULTS, OPTIONS

QWEN = '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "coordinate": [500, 500]}'
UITARS = "Thought: go\nAction: click(start_box='<|box_start|>(235,512)<|box_end|>')"
TWO = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", "coordinate": '
       '[10, 20]}}\n</tool_call>\n<tool_call>\n{"name": "search", "arguments": {"q": "x"}}'
       '\n</tool_call>')
LINES = [
    [QWEN],
    ["--format", "qwen2vl", QWEN],
    ["--format=qwen25vl", "--screen", "1920x1080", QWEN],
    ["-f", "uitars", "--screen=1920x1080", UITARS],
    [UITARS, "--frame", "rel1000", "--space", "desktop"],
    ["--min-pixels", "3136", "--max-pixels", "1003520", "-f", "qwen25vl", TWO],
    [TWO],  # a call outside the space: one line, exit 1
    [TWO, "--tool", "search"],
    [TWO, "--lenient"],
    ["--tool", "search", "--tool", "other", "--", TWO],
    ['{"action": "click", "x": 1, "y": 2}', "-f", "json"],
    ['{"action": "type", "text": "caf\udce9"}'],  # an argument that was not UTF-8
    ["not an action at all"],
    ["click(1,2)"],
    # the lines below are typer's (help, usage errors, forms plain() leaves to it)
    ["--help"],
    [],
    [QWEN, QWEN],
    ["--format", "nope", QWEN],
    ["--space", "tv", QWEN],
    ["--frame", "inches", QWEN],
    ["--screen", "0x10", QWEN],
    ["--screen", "wide", QWEN],
    ["--min-pixels", "0", QWEN],
    ["--min-pixels", "-5", QWEN],
    ["--max-pixels", "many", QWEN],
    ["--max-pixels", "0012", QWEN],
    ["--lenient=yes", QWEN],
    ["--format", "json", "--format", "qwen2vl", QWEN],
    ["-fqwen2vl", QWEN],
    ["--formt", "qwen2vl", QWEN],
    ["--format"],
    ["-x", QWEN],
]
ENTRY = "from vagent.cli.main import main; main()"
TYPER = ("import sys; from vagent.cli import main as m\n"
         "m._plain_parse = lambda argv: False\n"  # every line to typer
         "m.main()")


def _run(code: str, args: list[str], stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    argv = [a.encode("utf-8", "surrogateescape") for a in ["parse", *args]]
    done = subprocess.run([sys.executable, "-c", code.encode(), *argv], input=stdin,
                          capture_output=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("args", LINES, ids=range(len(LINES)))
def test_both_readers_print_the_same_bytes(args: list[str]) -> None:
    entry = _run(ENTRY, args)
    assert entry == _run(TYPER, args)
    assert entry[1] or entry[2]  # each line says something


def test_standard_input_reads_the_same_through_both() -> None:
    entry = _run(ENTRY, ["-", "--space", "mobile"], QWEN.encode())
    assert entry == _run(TYPER, ["-", "--space", "mobile"], QWEN.encode())
    assert entry[0] == 0 and b'"action": "click"' in entry[1]


def test_plain_lines_skip_typer_and_the_rest_reach_it() -> None:
    from vagent.cli.parse import plain

    probe = ("import sys\nfrom vagent.cli.main import main\ntry:\n    main()\n"
             "except SystemExit:\n    pass\nprint('typer' in sys.modules, file=sys.stderr)")
    for args, typer in (([QWEN], False), (["-f", "uitars", UITARS], False), (["--help"], True),
                        (["--screen", "0x1", QWEN], True)):
        assert _run(probe, args)[2].splitlines()[-1] == str(typer).encode(), args
    assert plain(["parse", "--tool", "a", "x", "--tool", "b"])[0] == "x"  # type: ignore[index]
    assert plain(["parse", "-f", "-", "x"]) is None  # a value that looks like an option


def test_the_plain_reader_knows_the_typer_command_options() -> None:
    from vagent.cli.app import app
    import typer.main

    command = typer.main.get_group(app).get_command(None, "parse")  # type: ignore[arg-type]
    seen: dict[str, tuple[str, str]] = {}
    for param in command.params:
        if param.param_type_name == "argument":
            assert param.name == "text" and param.required
            continue
        annotation = param.type_descriptor.annotation
        kind = ("flag" if param.is_flag else "list" if param.multiple
                else "int" if int in (getattr(annotation, "__args__", None) or (annotation,))
                else "str")
        for opt in param.opts:
            seen[opt] = (param.name, kind)
        assert param.default == DEFAULTS[param.name] or (param.multiple and not param.default
                                                         and DEFAULTS[param.name] is None)
    assert seen == OPTIONS
