"""A small POSIX-style shell for the simulated phone: what adbd's ``sh -c`` would do with a line.

It reads the line as a POSIX shell does — single quotes (nothing special inside), double quotes
(``\\`` escapes only ``$ ` " \\`` and newline; ``$VAR``, ``$(...)`` and backticks expand),
backslash escapes and line continuations outside quotes, ``#`` comments, field splitting of
unquoted expansions, ``;`` / newline / ``&&`` / ``||`` / ``|`` and redirections to /dev/null —
and runs each simple command through a callback. Command substitution really runs the inner
command, so a text that is not escaped properly changes what the phone receives, exactly as on a
device. Not supported (an error, not a guess): globbing (the simulator has no files; patterns stay
literal as sh leaves unmatched ones), functions, control flow, here-documents, background jobs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

IFS = " \t\n"
#: a run of characters that neither end a word nor start a quote, an escape or an expansion
_ORDINARY = re.compile(r"[^ \t\n;&|<>()\\'\"`$]*")
OPERATORS = ("&&", "||", ";", "|", "&", "\n")


class ShellSyntaxError(ValueError):
    """The line does not parse; sh prints an error and runs nothing."""


@dataclass
class Simple:
    """One simple command as written: its words and redirections, not yet expanded."""

    words: list[str] = field(default_factory=list)
    redirs: list[tuple[int, str, str]] = field(default_factory=list)  # (fd, op, target word)


@dataclass
class Result:
    out: bytes = b""
    status: int = 0
    commands: list[list[str]] = field(default_factory=list)  # every simple command that ran


# A command runner: (argv, stdin) -> (stdout, stderr, status)
Runner = Callable[[list[str], bytes], tuple[bytes, bytes, int]]
# The parsed line: and-or lists, each a list of (operator before it, pipeline).
Program = list[list[tuple[str, list[Simple]]]]


def parse(line: str) -> Program:
    """The line's structure (sh checks the whole line before it runs any of it)."""
    program: Program = []
    andor: list[tuple[str, list[Simple]]] = []
    pipeline: list[Simple] = []
    cmd = Simple()
    joiner = ""  # the operator before the pipeline being read
    pending: str | None = None  # an operator that still needs a command after it

    def end_command(op: str) -> None:
        nonlocal cmd
        if not cmd.words and not cmd.redirs:
            raise ShellSyntaxError(f"unexpected '{op}'")
        pipeline.append(cmd)
        cmd = Simple()

    for kind, value in _tokens(line):
        if kind == "word":
            cmd.words.append(value)
            pending = None
        elif kind == "redir":
            cmd.redirs.append(value)
            pending = None
        elif value == "|":
            end_command("|")
            pending = "|"
        elif value in ("&&", "||"):
            end_command(value)
            andor.append((joiner, pipeline))
            pipeline, joiner, pending = [], value, value
        else:  # ; & newline
            if value == "\n" and pending in ("&&", "||", "|"):
                continue  # sh lets a line break follow these operators
            if value == "&":
                raise ShellSyntaxError("background jobs ('&') are not supported")
            if cmd.words or cmd.redirs:
                end_command(value)
            elif pending or pipeline or value != "\n":
                raise ShellSyntaxError(f"unexpected '{value.strip() or 'newline'}'")
            if pipeline:
                andor.append((joiner, pipeline))
            if andor:
                program.append(andor)
            andor, pipeline, joiner = [], [], ""
    if cmd.words or cmd.redirs:
        pipeline.append(cmd)
    elif pending and pending != "\n":
        raise ShellSyntaxError(f"unexpected end of line after '{pending}'")
    if pipeline:
        andor.append((joiner, pipeline))
    if andor:
        program.append(andor)
    return program


def _tokens(s: str):  # noqa: ANN202 — yields ("word", src) | ("op", op) | ("redir", tuple)
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t":
            i += 1
            continue
        if c == "#":
            while i < n and s[i] != "\n":
                i += 1
            continue
        if s.startswith("\\\n", i):
            i += 2
            continue
        op = next((o for o in OPERATORS if s.startswith(o, i)), None)
        if op:
            yield "op", op
            i += len(op)
            continue
        j = i
        while j < n and s[j].isdigit():
            j += 1
        redir_op = next((o for o in (">>", ">&", ">", "<") if s.startswith(o, j)), None)
        if redir_op:
            fd = int(s[i:j]) if j > i else (0 if redir_op == "<" else 1)
            k = j + len(redir_op)
            while k < n and s[k] in " \t":
                k += 1
            end = _word_end(s, k)
            if end == k:
                raise ShellSyntaxError(f"missing target after '{redir_op}'")
            yield "redir", (fd, redir_op, s[k:end])
            i = end
            continue
        if c in "()":
            raise ShellSyntaxError(f"unexpected '{c}' (subshells are not supported)")
        end = _word_end(s, i)
        yield "word", s[i:end]
        i = end


def _word_end(s: str, i: int) -> int:
    """Where the word starting at i ends (quotes, substitutions and escapes skipped whole)."""
    n = len(s)
    while i < n:
        i = _ORDINARY.match(s, i).end()  # ordinary characters skipped at once (long arguments)
        if i >= n:
            break
        c = s[i]
        if c in " \t\n;&|<>()":
            return i
        if c == "\\":
            i += 2
        elif c == "'":
            end = s.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated quoted string")
            i = end + 1
        elif c == '"':
            i = _double_end(s, i + 1)
        elif c == "`":
            i = _backtick_end(s, i + 1) + 1
        elif s.startswith("$(", i):
            i = _matching_paren(s, i + 2) + 1
        elif s.startswith("${", i):
            end = s.find("}", i + 2)
            if end < 0:
                raise ShellSyntaxError("missing '}'")
            i = end + 1
        else:
            i += 1
    return min(i, n)


def _double_end(s: str, i: int) -> int:
    n = len(s)
    while i < n:
        c = s[i]
        if c == '"':
            return i + 1
        if c == "\\":
            i += 2
        elif c == "`":
            i = _backtick_end(s, i + 1) + 1
        elif s.startswith("$(", i):
            i = _matching_paren(s, i + 2) + 1
        else:
            i += 1
    raise ShellSyntaxError("unterminated double-quoted string")


def _backtick_end(s: str, i: int) -> int:
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "`":
            return i
        i += 1
    raise ShellSyntaxError("unterminated backquote")


class Shell:
    """Runs lines; ``runner`` executes each simple command."""

    def __init__(self, runner: Runner, variables: dict[str, str] | None = None):
        self.runner = runner
        self.vars = {"HOME": "/", "PATH": "/system/bin", "SHELL": "/system/bin/sh",
                     **(variables or {})}
        self.status = 0

    def run(self, line: str) -> Result:
        res = Result()
        try:
            program = parse(line)
            for andor in program:
                for joiner, pipeline in andor:
                    # && runs the next pipeline only after success, || only after failure
                    if (joiner == "&&" and self.status != 0) or (joiner == "||" and self.status == 0):
                        continue
                    self._run_pipeline(pipeline, res)
        except ShellSyntaxError as e:
            res.out += f"/system/bin/sh: syntax error: {e}\n".encode()
            self.status = 2
        res.status = self.status
        return res

    def _run_pipeline(self, pipeline: list[Simple], res: Result) -> None:
        data, status = b"", 0
        for cmd in pipeline:
            argv = [f for w in cmd.words for f in self.expand(w, res)]
            to_null, err_null, err_to_out = False, False, False
            for fd, op, target_src in cmd.redirs:
                target = "".join(self.expand(target_src, res))
                if op == ">&" and fd == 2 and target == "1":
                    err_to_out = True
                elif op in (">", ">>") and target == "/dev/null" and fd in (1, 2):
                    to_null, err_null = (True, err_null) if fd == 1 else (to_null, True)
                elif not (op == "<" and target == "/dev/null"):
                    raise ShellSyntaxError(f"redirection {fd}{op}{target} needs a file system "
                                           "the simulator does not have")
            if not argv:
                continue
            res.commands.append(argv)
            out, err, status = self.runner(argv, data)
            if err_to_out:
                out, err = out + err, b""
            if to_null:
                out = b""
            if not err_null:
                res.out += err  # adb's legacy shell service merges stderr into the stream
            data = out
        res.out += data
        self.status = status

    # -- expansion -----------------------------------------------------------------------------
    def expand(self, s: str, res: Result) -> list[str]:
        """One word's fields: quotes removed, parameters and substitutions expanded, unquoted
        expansion results split on whitespace."""
        if s and _ORDINARY.fullmatch(s):  # nothing to remove or expand: the word itself
            return [s]
        chars: list[tuple[str, bool]] = []  # (character, may split here)
        quoted = False
        i, n = 0, len(s)
        while i < n:
            c = s[i]
            if c == "\\":
                if i + 1 >= n:
                    chars.append(("\\", False))
                    i += 1
                elif s[i + 1] == "\n":
                    i += 2
                else:
                    chars.append((s[i + 1], False))
                    quoted = True
                    i += 2
            elif c == "'":
                end = s.index("'", i + 1)
                chars.extend((ch, False) for ch in s[i + 1:end])
                quoted, i = True, end + 1
            elif c == '"':
                i = self._double(s, i + 1, chars, res)
                quoted = True
            elif c in "$`":
                value, i, expanded = self._dollar(s, i, res)
                chars.extend((ch, expanded) for ch in value)
            else:
                chars.append((c, False))
                i += 1
        fields: list[str] = []
        cur: list[str] = []
        keep = quoted
        for ch, splittable in chars:
            if splittable and ch in IFS:
                if cur or keep:
                    fields.append("".join(cur))
                cur, keep = [], False
            else:
                cur.append(ch)
        if cur or keep:
            fields.append("".join(cur))
        return fields

    def _double(self, s: str, i: int, chars: list[tuple[str, bool]], res: Result) -> int:
        while True:
            c = s[i]
            if c == '"':
                return i + 1
            if c == "\\" and s[i + 1] in '$`"\\\n':
                if s[i + 1] != "\n":
                    chars.append((s[i + 1], False))
                i += 2
            elif c in "$`":
                value, i, _ = self._dollar(s, i, res)
                chars.extend((ch, False) for ch in value)  # no splitting inside quotes
            else:
                chars.append((c, False))
                i += 1

    def _dollar(self, s: str, i: int, res: Result) -> tuple[str, int, bool]:
        """Expand ``$...`` or a backtick substitution at i: (value, next index, expanded)."""
        if s[i] == "`":
            end = _backtick_end(s, i + 1)
            inner = []
            j = i + 1
            while j < end:
                if s[j] == "\\" and s[j + 1] in "`$\\":
                    j += 1
                inner.append(s[j])
                j += 1
            return self._substitute("".join(inner), res), end + 1, True
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if nxt == "(":
            end = _matching_paren(s, i + 2)
            return self._substitute(s[i + 2:end], res), end + 1, True
        if nxt == "{":
            end = s.index("}", i + 2)
            return self.vars.get(s[i + 2:end], ""), end + 1, True
        if nxt == "?":
            return str(self.status), i + 2, True
        if nxt.isalpha() or nxt == "_":
            j = i + 1
            while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                j += 1
            return self.vars.get(s[i + 1:j], ""), j, True
        if nxt.isdigit() or (nxt and nxt in "#@*$!-"):
            return "", i + 2, True  # positional and special parameters are empty under sh -c
        return "$", i + 1, False

    def _substitute(self, inner: str, res: Result) -> str:
        sub = Shell(self.runner, self.vars)
        out = sub.run(inner)
        res.commands.extend(out.commands)
        self.status = out.status
        return out.out.decode("utf-8", "replace").rstrip("\n")


def _matching_paren(s: str, i: int) -> int:
    """Index of the ')' closing a '$(' whose body starts at i (quotes and nesting respected)."""
    depth = 1
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            end = s.find("'", i + 1)
            if end < 0:
                break
            i = end + 1
            continue
        if c == '"':
            j = i + 1
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellSyntaxError("missing ')'")


def quote(text: str) -> str:
    """Quote a string as one sh word (single quotes; a quote inside becomes '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"
