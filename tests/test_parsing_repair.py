"""The lenient JSON reader and the box/point readers on their own."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagent.actions import ParseError
from vagent.actions.parsing.boxes import box_tokens, find_boxes, point_tag, read_point
from vagent.actions.parsing.repair import MAX_DEPTH, find_value, loads, read_value
from vagent.actions.parsing.vocab import split_keys


@pytest.mark.parametrize("text,value", [
    ('{"a": 1}', {"a": 1}),
    ("{'a': 'b'}", {"a": "b"}),
    ('{"a": [1, 2,],}', {"a": [1, 2]}),
    ('{a: 1, b_c: "x"}', {"a": 1, "b_c": "x"}),
    ("{'ok': True, 'no': False, 'none': None}", {"ok": True, "no": False, "none": None}),
    ('{"p": (1, 2)}', {"p": [1, 2]}),
    ('{"a": 1 "b": 2}', {"a": 1, "b": 2}),
    ('{"a": "x"\n "b": "y"}', {"a": "x", "b": "y"}),
    ('{"a": 1, // note\n "b": /* two */ 2}', {"a": 1, "b": 2}),
    ('{"t": "line\nbreak"}', {"t": "line\nbreak"}),
    ('{"t": "say "hi" now"}', {"t": 'say "hi" now'}),
    ("{'t': 'San Diego's best'}", {"t": "San Diego's best"}),
    ('{"t": "\\u00e9\\ud83d\\ude80\\/"}', {"t": "é🚀/"}),
    ('{"t": "bad \\ud800 surrogate"}', {"t": "bad \ufffd surrogate"}),
    ('{"t": "unknown \\q escape"}', {"t": "unknown \\q escape"}),
    ('{"a": {"b": [1, {"c": 2', {"a": {"b": [1, {"c": 2}]}}),
    ('{"a": "unterminated', {"a": "unterminated"}),
    ('{"a": [1, 2}', {"a": [1, 2]}),
    ('{"a": 1}} trailing', {"a": 1}),
    ('{"a": -1.5e2, "b": +3, "c": .5}', {"a": -150.0, "b": 3, "c": 0.5}),
    ('{"a": 1, "a": 2}', {"a": 2}),
    ('{"action": click}', {"action": "click"}),
])
def test_lenient_values(text, value):
    assert loads(text)[0] == value


def test_repairs_are_reported():
    assert loads('{"a": 1}')[1] == []
    notes = loads("{'a': [1, 2,]")[1]
    assert any("trailing comma" in n for n in notes) and any("closed" in n for n in notes)


def test_value_ends_where_json_ends():
    text = 'Here: {"a": {"b": 1}} and {"c": 2} after'
    value, at, end, _ = find_value(text)
    assert value == {"a": {"b": 1}} and text[at:end] == '{"a": {"b": 1}}'
    value, at, _, _ = find_value(text, accept=lambda v: "c" in v)
    assert value == {"c": 2} and at == text.index('{"c"')


@pytest.mark.parametrize("text,match", [("", "empty JSON"), ("   ", "empty JSON"),
                                        ("no json", "no JSON object"),
                                        (":::", "no JSON object")])
def test_hopeless_text_is_a_parse_error(text, match):
    with pytest.raises(ParseError, match=match):
        loads(text)


@pytest.mark.parametrize("text,value", [("[", []), ("}{", {}), ("{" * (MAX_DEPTH + 5), {}),
                                        ("{" * 300 + "}", {})])
def test_unclosed_brackets_are_closed_and_noted(text, value):
    # closing what is open is a valid repair: an empty value, and a note that says so
    got, notes = loads(text)
    assert got == value and any("unclosed" in n for n in notes)


def test_depth_is_capped_without_recursion():
    with pytest.raises(ParseError, match="nested"):
        read_value("[" * 100_000)
    with pytest.raises(ParseError, match="nested"):
        read_value('{"a":' * 100_000)
    # the cap is exact: MAX_DEPTH levels are read, one more is refused at its bracket
    assert read_value("[" * MAX_DEPTH)[1] == MAX_DEPTH
    with pytest.raises(ParseError, match="nested") as e:
        read_value("[" * (MAX_DEPTH + 1))
    assert e.value.pos == MAX_DEPTH


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text() |
                    st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20))
def test_valid_json_reads_back_exactly(value):
    text = json.dumps(value, ensure_ascii=False)
    got, end, notes = read_value(text)
    assert got == value and end == len(text) and notes == []
    # the repairing path (not the C decoder) agrees on valid JSON too
    from vagent.actions.parsing.repair import _lenient

    if isinstance(value, (dict, list)):
        assert _lenient(text, 0)[0] == value


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["action", "text", "x", "y", "keys"]),
                       st.text(max_size=20) | st.integers(-5, 5000), min_size=1, max_size=4),
       st.integers(1, 40))
def test_truncated_json_never_raises_anything_else(value, cut):
    text = json.dumps(value)
    prefix = text[:max(1, len(text) - cut)]
    try:
        got, notes = loads(prefix)
    except ParseError:
        return
    # a cut object reads back as an object, and the reader says it repaired something
    assert isinstance(got, dict) and notes
    json.dumps(got)  # plain data only


@pytest.mark.parametrize("value,point", [
    ("<|box_start|>(100,200),(300,260)<|box_end|>", (200, 230)),
    ("<|object_ref_start|>OK<|object_ref_end|><|box_start|>(1,2)<|box_end|>", (1, 2)),
    ("<point>12 34</point>", (12, 34)),
    ("<bbox>10 20 30 40</bbox>", (20, 30)),
    ("(5, 6)", (5, 6)),
    ("[5,6]", (5, 6)),
    ("5 6", (5, 6)),
    ("0.25, 0.75", (0.25, 0.75)),
    ([5, 6], (5, 6)),
    ([1, 2, 3, 4], (2, 3)),
    ([[1, 2], [3, 4]], (2, 3)),
    (["5", "6"], (5, 6)),
    ({"x": 5, "y": 6}, (5, 6)),
    ("the OK button", None),
    ("(1, 2, 3)", None),
    ([True, 2], None),
    ([float("nan"), 2], None),
    (None, None),
    (7, None),
])
def test_read_point(value, point):
    assert read_point(value) == point


def test_box_writers_read_back():
    assert read_point(box_tokens(12, 34)) == (12, 34)
    assert read_point(box_tokens(12, 34, degenerate=False)) == (12, 34)
    assert read_point(point_tag(0.5, 0.25)) == (0.5, 0.25)
    text = "a <|box_start|>(1,2),(3,4)<|box_end|> b <|box_start|>(5,6)<|box_end|>"
    assert [p for _, _, p in find_boxes(text)] == [(2, 3), (5, 6)]


@pytest.mark.parametrize("value,keys", [
    ("ctrl c", ["ctrl", "c"]), ("Ctrl+C", ["ctrl", "C"]), ("ctrl++", ["ctrl", "+"]),
    ("+", ["+"]), (["ctrl", "shift", "t"], ["ctrl", "shift", "t"]), (["alt+tab"], ["alt", "tab"]),
    ("Return", ["return"]), (["page down"], ["page down"]), ("", None), ([], None), (5, None),
])
def test_split_keys(value, keys):
    assert split_keys(value) == keys
