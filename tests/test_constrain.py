"""Constrained decoding (``--opt constrain=true``): the grammar admits what the prompt offers,
and a random-weight checkpoint held to it writes answers that parse."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagent import policies
from vagent.actions import get_space
from vagent.actions.context import Context
from vagent.actions.parsing import parse, render
from vagent.policies import formats
from vagent.policies.constrain import (MAX_STRING, argument_schemas, format_grammar,
                                       integer_ebnf, schema_ebnf, task_spans, tighten)

xgr = pytest.importorskip("xgrammar")

SPACE = get_space("mobile")
SMALL = {"min_pixels": 4 * 28 * 28, "max_pixels": 16 * 28 * 28}
# Actions whose rendering the mobile prompt offers in every format.
OFFERED = [
    {"action": "click", "x": 100, "y": 200}, {"action": "long_press", "x": 5, "y": 6},
    {"action": "swipe", "x1": 1, "y1": 2, "x2": 300, "y2": 400},
    {"action": "type", "text": "San Diego"}, {"action": "button", "name": "back"},
    {"action": "open_app", "name": "Clock"}, {"action": "terminate", "status": "success"},
]
CASES = [("qwen2vl", "tiny_qwen2vl"), ("qwen25vl", "tiny_qwen25vl"), ("uitars", "tiny_qwen2vl")]


def matcher(fixture_path: Path, grammar: object) -> object:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(fixture_path)
    info = xgr.TokenizerInfo.from_huggingface(
        tok, stop_token_ids=[tok.convert_tokens_to_ids("<|im_end|>")])
    return xgr.GrammarMatcher(xgr.GrammarCompiler(info).compile_grammar(grammar))


@pytest.mark.parametrize("fmt_name,fixture", CASES)
def test_grammar_admits_the_offered_actions_as_the_format_writes_them(
        fmt_name: str, fixture: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(fixture)
    fmt = formats.get(fmt_name)
    frame = fmt.frame(SMALL["min_pixels"], SMALL["max_pixels"])
    grammar = format_grammar(fmt, SPACE, (640, 400), frame)
    for action in OFFERED:
        text = render(SPACE.validate(action), fmt.parser, frame)
        if fmt_name == "uitars" and not text.startswith("Thought"):
            text = "Thought: ok\n" + text
        m = matcher(path, grammar)
        assert m.accept_string(text), (action, text)
        assert m.accept_token(m.stop_token_ids[0]) and m.is_terminated()
    for wrong in ("✿FUNCTION✿: mobile_use\n✿ARGS✿: {\"action\": \"click\"}",  # no point
                  "Sure! I will click.", "<tool_call>\n{\"name\": \"fly\"}"):
        assert not matcher(path, grammar).accept_string(wrong)


# A typed text the model submits with a JSON "\n" (the bundled model's habit), with a quote and
# a backslash escaped too: a bounded string must still take JSON's escapes.
TYPED = 'say "hi" \\ now\n'


def typed_answer(fmt_name: str, text: str) -> str:
    args = json.dumps({"action": "type", "text": text}, ensure_ascii=False)
    if fmt_name == "qwen2vl":
        return f"✿FUNCTION✿: mobile_use\n✿ARGS✿: {args}"
    if fmt_name == "qwen25vl":
        return f'<tool_call>\n{{"name": "mobile_use", "arguments": {args}}}\n</tool_call>'
    quoted = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"Thought: type it\nAction: type(content='{quoted}')"


@pytest.mark.parametrize("fmt_name,fixture", CASES)
def test_a_typed_text_holds_escapes_token_by_token(fmt_name: str, fixture: str,
                                                   request: pytest.FixtureRequest) -> None:
    from transformers import AutoTokenizer

    path = request.getfixturevalue(fixture)
    tok = AutoTokenizer.from_pretrained(path)
    fmt = formats.get(fmt_name)
    frame = fmt.frame(SMALL["min_pixels"], SMALL["max_pixels"])
    grammar = format_grammar(fmt, SPACE, (640, 400), frame)
    answer = typed_answer(fmt_name, TYPED)
    call = parse(answer, fmt.parser, frame=frame).calls[0]  # the "\n" submits the text
    assert (call["text"], call["submit"]) == (TYPED.rstrip("\n"), True)
    m = matcher(path, grammar)
    for n, token in enumerate(tok(answer, add_special_tokens=False).input_ids):
        assert m.accept_token(token), (answer, n, tok.decode([token]))
    assert m.accept_token(m.stop_token_ids[0]) and m.is_terminated()
    # bounded all the same: one character more than MAX_STRING is refused, as are a raw
    # newline inside a JSON string, an unknown escape and prose
    too_long = typed_answer(fmt_name, "x" * (MAX_STRING + 1))
    assert matcher(path, grammar).accept_string(typed_answer(fmt_name, "x" * MAX_STRING))
    assert not matcher(path, grammar).accept_string(too_long)
    if fmt_name != "uitars":
        raw = answer.replace("\\n", "\n", 1)
        assert not matcher(path, grammar).accept_string(raw)
        assert not matcher(path, grammar).accept_string(answer.replace("\\n", "\\x", 1))
    assert not matcher(path, grammar).accept_string("I will type it now.")


def test_task_spans_are_the_runs_of_whole_words() -> None:
    assert task_spans("find bars in Oslo") == [
        "find", "find bars", "find bars in", "find bars in Oslo", "bars", "bars in",
        "bars in Oslo", "in", "in Oslo", "Oslo"]
    # an address is one word; the punctuation around words is left out
    spans = task_spans("Email kelo.b@post.org: 'Lunch', please.")
    assert "kelo.b@post.org" in spans and "Lunch', please" in spans
    assert all(not s.endswith((".", ":", "'", ",")) for s in spans)
    assert task_spans("?! ...") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Z9.@'-,\n\"é"), max_size=60),
       st.integers(1, 30))
def test_task_spans_fuzz(task: str, most: int) -> None:
    """Each span is the task's own text, starts and ends on a word character, fits the bound and
    comes once; every word that fits the bound is one."""
    import re

    spans = task_spans(task, most)
    assert len(spans) == len(set(spans))
    for s in spans:
        assert s in task and len(s) <= most and re.match(r"\w", s) and re.search(r"\w$", s)
    for word in re.findall(r"\w(?:[\w.@+'-]*\w)?", task):
        assert (word in spans) == (len(word) <= most)


@pytest.mark.parametrize("fmt_name,fixture", CASES[:2])
def test_a_type_held_to_the_task_writes_only_its_words(fmt_name: str, fixture: str,
                                                       request: pytest.FixtureRequest) -> None:
    """type_from_task: the typed text is a run of the task's words (a submit newline allowed),
    token by token; other texts are refused; the other actions are untouched."""
    from transformers import AutoTokenizer

    path = request.getfixturevalue(fixture)
    tok = AutoTokenizer.from_pretrained(path)
    fmt = formats.get(fmt_name)
    frame = fmt.frame(SMALL["min_pixels"], SMALL["max_pixels"])
    grammar = format_grammar(fmt, SPACE, (640, 400), frame, task_spans("find bars in Oslo"))
    for text in ("bars in Oslo\n", "Oslo", "find bars"):
        m = matcher(path, grammar)
        for token in tok(typed_answer(fmt_name, text), add_special_tokens=False).input_ids:
            assert m.accept_token(token), text
        assert m.accept_token(m.stop_token_ids[0]) and m.is_terminated()
    for text in ("bars in Paris", "Oslo bars", "bars  in", "bars in Oslo\n\n", ""):
        assert not matcher(path, grammar).accept_string(typed_answer(fmt_name, text)), text
    click = render(SPACE.validate({"action": "click", "x": 10, "y": 20}), fmt.parser, frame)
    assert matcher(path, grammar).accept_string(click)


def test_the_policy_holds_type_to_each_tasks_words(tiny_qwen2vl: Path) -> None:
    """--opt type_from_task=true: the grammar a step decodes under follows that step's task."""
    policy = policies.make("qwen-vl", model=str(tiny_qwen2vl), format="qwen2vl",
                           constrain=True, type_from_task=True, **SMALL)
    space = SPACE.with_screen(640, 400)

    def accepts(task: str, text: str) -> bool:
        ctx = Context(task=task, space=space, screen=(640, 400),
                      observation={"screenshot": None, "text": ""})
        m = xgr.GrammarMatcher(policy._grammar(ctx))
        return m.accept_string(typed_answer("qwen2vl", text))

    assert accepts("find bars in Oslo", "bars in Oslo")
    assert not accepts("find bars in Oslo", "bars in Rome")
    assert accepts("find bars in Rome", "bars in Rome")
    free = policies.make("qwen-vl", model=str(tiny_qwen2vl), format="qwen2vl",
                         constrain=True, **SMALL)
    ctx = Context(task="find bars in Oslo", space=space, screen=(640, 400),
                  observation={"screenshot": None, "text": ""})
    assert xgr.GrammarMatcher(free._grammar(ctx)).accept_string(
        typed_answer("qwen2vl", "bars in Rome"))


def test_integers_are_exactly_their_range() -> None:
    info = xgr.TokenizerInfo([chr(c) for c in range(32, 127)])
    compiler = xgr.GrammarCompiler(info)
    for lo, hi in [(-10000, 10000), (0, 10000), (1, 10000), (5, 123), (-37, -4), (0, 0)]:
        grammar = xgr.Grammar.from_ebnf(f"root ::= {integer_ebnf(lo, hi)}")
        compiled = compiler.compile_grammar(grammar)

        def ok(text: str) -> bool:
            m = xgr.GrammarMatcher(compiled)
            return m.accept_string(text) and m.is_completed()

        probe = {lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, 0, 9, 10, 99, 100, 999, 1000, 9999}
        assert [v for v in sorted(probe) if ok(str(v)) != (lo <= v <= hi)] == [], (lo, hi)
        assert not any(ok(t) for t in ("-0", "00", "01", "+1", "1.0", ""))


def test_a_protocols_json_schema_bounds_strings_with_escapes() -> None:
    schema = {"type": "object", "properties": {
        "thoughts": {"type": "string", "maxLength": 10}, "n": {"type": "integer"},
        "tag": {"anyOf": [{"enum": ["a", "b"]}, {"type": "null"}]}},
        "required": ["thoughts"], "additionalProperties": False}
    info = xgr.TokenizerInfo([chr(c) for c in range(32, 127)] + ["\n"])
    compiled = xgr.GrammarCompiler(info).compile_grammar(schema_ebnf(schema))

    def ok(value: dict) -> bool:
        m = xgr.GrammarMatcher(compiled)
        return m.accept_string(json.dumps(value)) and m.is_completed()

    assert ok({"thoughts": 'a "b"\n\\'}) and ok({"thoughts": "", "tag": None})
    assert ok({"thoughts": "x", "n": -3, "tag": "b"}) and ok({"thoughts": "x" * 10})
    assert not ok({"thoughts": "x" * 11}) and not ok({"tag": "a"})  # too long; required
    assert not ok({"thoughts": "x", "tag": "c"}) and not ok({"thoughts": "x", "other": 1})
    assert not ok({"n": 1, "thoughts": "x"})  # the schema's order
    # the protocol's own bound holds even above the tool arguments' MAX_STRING
    long = {**schema, "properties": {**schema["properties"],
                                     "thoughts": {"type": "string", "maxLength": 160}}}
    compiled = xgr.GrammarCompiler(info).compile_grammar(schema_ebnf(long))
    assert ok({"thoughts": "y" * 160}) and not ok({"thoughts": "y" * 161})


def test_tightened_schemas_bound_every_value() -> None:
    s = tighten({"type": "object", "properties": {
        "text": {"type": "string"}, "time": {"type": "number"},
        "coordinate": {"type": "array"}, "keys": {"type": "array", "items": {"type": "string"}}}},
        "pixels")
    p = s["properties"]
    assert p["text"]["maxLength"] <= 64 and p["time"]["type"] == "integer"
    assert p["coordinate"]["minItems"] == p["coordinate"]["maxItems"] == 2
    assert p["keys"]["items"]["maxLength"] <= 64 and p["keys"]["maxItems"] <= 4
    assert s["additionalProperties"] is False
    per_action = argument_schemas({"type": "object", "properties": {
        "action": {"enum": ["click", "type"]}, "coordinate": {"type": "array"},
        "text": {"type": "string"}}}, "pixels")
    assert [sorted(a["required"]) for a in per_action] == [["action", "coordinate"],
                                                           ["action", "text"]]


def answers(policy: policies.Policy, n: int, protocol: object = None) -> list:
    """Decisions of ``n`` different first steps, asked concurrently (one batch)."""
    out: list = [None] * n
    space = SPACE.with_screen(640, 400)

    def ask(i: int) -> None:
        shot = np.random.default_rng(i).integers(0, 255, (400, 640, 3), dtype=np.uint8)
        ctx = Context(task=f"task number {i}: open the clock app", space=space,
                      screen=(640, 400), observation={"screenshot": shot, "text": ""},
                      protocol=protocol)
        out[i] = policy.act(ctx)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=900)
    return out


@pytest.mark.parametrize("fmt_name,fixture", CASES)
def test_random_checkpoint_held_to_the_grammar_always_parses(
        fmt_name: str, fixture: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(fixture)
    free = policies.make("qwen-vl", model=str(path), format=fmt_name, max_new_tokens=40,
                         **SMALL)
    held = policies.make("qwen-vl", model=str(path), format=fmt_name, max_new_tokens=200,
                         constrain=True, batch_wait_ms=5000, **SMALL)
    unconstrained = answers(free, 4)
    constrained = answers(held, 8)
    assert sum(d.error is not None for d in unconstrained) >= 2  # random weights: garbage
    assert [d.error for d in constrained] == [None] * 8
    assert all(d.calls for d in constrained)


def test_protocol_answer_grammar_constrains_the_card_game(tiny_qwen2vl: Path) -> None:
    from vagent.envs.cards.protocol import CardProtocol

    strict = CardProtocol("numberline", strict=True, seed=0)
    held = policies.make("qwen-vl", model=str(tiny_qwen2vl), max_new_tokens=300,
                         constrain=True, batch_wait_ms=5000, **SMALL)
    decisions = answers(held, 4, protocol=strict)
    assert [d.error for d in decisions] == [None] * 4
    assert {d.calls[0]["action"] for d in decisions} <= {"+", "-"}


def test_openai_policy_sends_the_grammar_to_the_server() -> None:
    from vagent.policies.scripted_server import ScriptedServer

    bodies: list[dict] = []
    answer = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
              '"coordinate": [100, 200]}}\n</tool_call>')

    def reply(body: dict) -> str:
        bodies.append(body)
        return answer

    with ScriptedServer(reply) as server:
        pol = policies.make("openai", api_base=server.url, model="Qwen/Qwen2.5-VL-7B-Instruct",
                            constrain=True)
        ctx = Context(task="open the clock app", space=SPACE.with_screen(640, 400),
                      screen=(640, 400),
                      observation={"screenshot": np.zeros((400, 640, 3), np.uint8), "text": ""})
        assert pol.act(ctx).error is None
        plain = policies.make("openai", api_base=server.url, model="Qwen/Qwen2.5-VL-7B-Instruct")
        plain.act(ctx)
    grammar = bodies[0]["structured_outputs"]["grammar"]
    assert "structured_outputs" not in bodies[1]
    # the EBNF the server gets is xgrammar's, and admits the answer the model should write
    compiled = xgr.GrammarCompiler(xgr.TokenizerInfo([chr(c) for c in range(32, 127)] + ["\n"]))
    m = xgr.GrammarMatcher(compiled.compile_grammar(grammar))
    assert m.accept_string(answer) and not xgr.GrammarMatcher(
        compiled.compile_grammar(grammar)).accept_string("I would click the clock.")
