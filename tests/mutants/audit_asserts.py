"""List the suite's assertions that may be true whatever the code does, for a person to judge.

Not a test and not run in CI; ``python tests/mutants/audit_asserts.py [tests]`` prints
``file | line | pattern | assertion``. The patterns (each a hint, not a verdict):

- ``or``: an assertion joining alternatives (one side may hold for any result);
- ``const``: an assertion of a constant; ``x==x``: the same expression on both sides;
- ``isinstance-only``: an assertion that is only an isinstance check;
- ``>=0`` and ``len>=``: lower bounds that counts and lengths meet anyway;
- ``in-many``: membership in a literal list of three or more values;
- ``clock``: an assertion mentioning timings, seconds or a clock (a wall-clock assertion);
- ``except-pass``: a handler that swallows an exception;
- ``no-assert``: a test function with no assert, no pytest.raises/warns and no check helper.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CLOCK_WORDS = ("timings", "seconds", "elapsed", "monotonic", "perf_counter", "time.time")


def _src(node: ast.AST) -> str:
    return ast.unparse(node)


def _assert_flags(test: ast.expr) -> list[str]:
    s, flags = _src(test), []
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        flags.append("or")
    if isinstance(test, ast.Constant):
        flags.append("const")
    if isinstance(test, ast.Call) and getattr(test.func, "id", "") == "isinstance":
        flags.append("isinstance-only")
    if any(w in s for w in CLOCK_WORDS):
        flags.append("clock")
    for c in ast.walk(test):
        if not isinstance(c, ast.Compare):
            continue
        for op, right in zip(c.ops, c.comparators):
            if isinstance(op, ast.GtE) and isinstance(right, ast.Constant) and right.value == 0:
                flags.append(">=0")
            if isinstance(op, (ast.Eq, ast.Is)) and _src(c.left) == _src(right):
                flags.append("x==x")
        if isinstance(c.left, ast.Call) and getattr(c.left.func, "id", "") == "len" and \
                any(isinstance(o, ast.GtE) for o in c.ops):
            flags.append("len>=")
    if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.In) and \
            isinstance(test.comparators[0], (ast.Tuple, ast.List, ast.Set)) and \
            len(test.comparators[0].elts) > 2:
        flags.append("in-many")
    return flags


def _checks_something(fn: ast.FunctionDef) -> bool:
    for n in ast.walk(fn):
        if isinstance(n, ast.Assert):
            return True
        if isinstance(n, ast.Attribute) and n.attr in ("raises", "warns", "fail"):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                n.func.id.lstrip("_").startswith(("check", "assert", "expect")):
            return True
    return False


def audit(root: Path) -> list[tuple[str, int, str, str]]:
    found = []
    for f in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Assert):
                found += [(f.name, node.lineno, flag, _src(node.test))
                          for flag in _assert_flags(node.test)]
            elif isinstance(node, ast.ExceptHandler) and \
                    all(isinstance(b, ast.Pass) for b in node.body):
                found.append((f.name, node.lineno, "except-pass",
                              _src(node.type) if node.type else "bare"))
            elif isinstance(node, ast.FunctionDef) and node.name.startswith("test") and \
                    not _checks_something(node):
                found.append((f.name, node.lineno, "no-assert", node.name))
    return found


if __name__ == "__main__":
    for row in audit(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1])):
        print(*row, sep=" | ")
