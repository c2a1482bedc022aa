"""Properties of every parser: nothing but ParseError on any text, bounded time on big garbage,
and render → parse round trips for every action type in every format."""

from __future__ import annotations

import json
import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vagent.actions import GUI_ACTIONS, Frame, ParseError
from vagent.actions.parsing import FORMATS, default_frame, detect_format, parse, render
from vagent.actions.parsing.base import _parse
from vagent.actions.parsing.vocab import canonical

ALL = ["auto", *FORMATS]
FRAGMENTS = [
    "<tool_call>", "</tool_call>", "✿FUNCTION✿", "✿ARGS✿", "✿RESULT✿", "✿RETURN✿", ": ", "\n",
    "\n\n", "mobile_use", "computer_use", "{", "}", "[", "]", "(", ")", '"', "'", ",", ":", "\\",
    "\\n", "\\'", '\\"', "\\u", "\\ud800", "\\ud83d\\ude80", "Action:", "Thought:", "Action: ",
    "click(", "type(content='", "hotkey(key='", "scroll(", "drag(", "finished(", "wait()",
    "start_box=", "end_box=", "point=", "direction='down'", "<|box_start|>", "<|box_end|>",
    "<|object_ref_start|>", "<|object_ref_end|>", "(1,2)", "(100,200),(300,400)", "<point>",
    "</point>", "<bbox>", "</bbox>", "10 20", '"action"', '"name"', '"arguments"', '"coordinate"',
    '"text"', '"keys"', '"function"', '"tool_calls"', '"thoughts"', "click", "left_click_drag",
    "mouse_move", "swipe", "system_button", "terminate", "1e999", "-0", "NaN", "Infinity", "null",
    "true", "None", "1.5", "-7", "[1, 2]", "[[1,2],[3,4]]", "// c", "/* c */", "```json", "```",
    " ", "\t", "💥", "✿",
]
soup = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=60).map("".join)


def check_result(text, fmt):
    """Parse; the only failure allowed is ParseError, and a result must be plain JSON data."""
    try:
        parsed = _parse(text, fmt)
    except ParseError as e:
        assert str(e)  # a message, on one line for the CLI
        assert "\n" not in str(e).split(" (at character")[0][-1:]
        return None
    out = json.dumps(parsed.calls, ensure_ascii=False)
    out.encode("utf-8")  # no lone surrogates leak out of \u escapes
    assert all(isinstance(c.get("action"), str) for c in parsed.calls)
    return parsed


@pytest.mark.parametrize("fmt", ALL)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_any_text_parses_or_raises_parse_error(fmt, text):
    check_result(text, fmt)


@pytest.mark.parametrize("fmt", ALL)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=soup)
def test_marker_soup_parses_or_raises_parse_error(fmt, text):
    check_result(text, fmt)


@settings(max_examples=100, deadline=None)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                          lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                          max_leaves=10))
def test_openai_accepts_any_object(value):
    check_result(value, "openai")
    check_result({"tool_calls": [{"function": {"name": "f", "arguments": value}}]}, "openai")


# --- big inputs: linear time, enforced by a timeout rather than a timing assertion --------------

def big_inputs(size: int) -> dict[str, str]:
    rng = random.Random(size)
    pieces = [rng.choice(FRAGMENTS) for _ in range(size // 4)]
    return {
        "printable": "".join(rng.choice(string.printable) for _ in range(size)),
        "soup": "".join(pieces)[:size],
        "braces": "{" * size,
        "brackets": "[" * size,
        "quotes": '"' * size,
        "tool_calls": ("<tool_call>{" * size)[:size],
        "functions": ("✿FUNCTION✿: a\n✿ARGS✿: {'" * size)[:size],
        "actions": ("Action: click(start_box='" * size)[:size],
        "content": "Action: type(content='" + "it's " * (size // 5),
        "boxes": ("<|box_start|>(1," * size)[:size],
        "objects": ('{"a": ' * size)[:size],
        "commas": "[" + "1," * (size // 2),
        "inner_quotes": '{"action": "' + 'x"' * (size // 2),
        "newlines": "\n" * size,
        "escapes": '{"name": "x", "arguments": {"a": "' + "\\" * size,
        "valid_huge_text": json.dumps({"action": "type", "text": "a" * size}),
    }


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ALL)
def test_100_kb_inputs_finish(fmt):
    for _name, text in big_inputs(100_000).items():
        check_result(text, fmt)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("fmt", ALL)
def test_1_mb_inputs_finish(fmt):
    inputs = big_inputs(1_000_000)
    for name in ("printable", "soup", "braces", "tool_calls", "functions", "actions",
                 "content", "valid_huge_text"):
        check_result(inputs[name], fmt)


def test_huge_valid_text_is_read_whole():
    text = "Thought: long\nAction: type(content='" + "ab" * 500_000 + "')"
    assert parse(text).calls[0]["text"] == "ab" * 500_000


# --- round trips ----------------------------------------------------------------------------------

KINDS = ["pixels", "rel1000", "resized", "unit"]
KEY_NAMES = ["ctrl", "alt", "shift", "enter", "tab", "escape", "f5", "page_down", "volume_up",
             "backspace", "home", "super"]
key_char = st.characters(blacklist_categories=("Cs", "Cc", "Z"))


def coord(kind: str) -> st.SearchStrategy:
    if kind == "unit":
        return st.integers(0, 10_000).map(lambda v: v / 10_000)
    return st.integers(0, {"pixels": 2559, "rel1000": 999, "resized": 2407}[kind])


def action(kind: str) -> st.SearchStrategy:
    c = coord(kind)
    ms = st.integers(0, 60_000)
    name = st.text(min_size=1, max_size=30).map(str.strip).filter(bool)
    gui = st.one_of(
        st.builds(lambda x, y, b, n: {"action": "click", "x": x, "y": y, "button": b, "clicks": n},
                  c, c, st.sampled_from(["left", "right", "middle"]), st.integers(1, 3)),
        st.builds(lambda x, y, d: {"action": "long_press", "x": x, "y": y, "duration_ms": d},
                  c, c, ms),
        st.builds(lambda a, b, e, f, d: {"action": "swipe", "x1": a, "y1": b, "x2": e, "y2": f,
                                         "duration_ms": d}, c, c, c, c, ms),
        st.builds(lambda a, b, e, f: {"action": "drag", "x1": a, "y1": b, "x2": e, "y2": f},
                  c, c, c, c),
        st.builds(lambda x, y: {"action": "move", "x": x, "y": y}, c, c),
        st.builds(lambda d, n, p: {"action": "scroll", "direction": d,
                                   **({"amount": n} if n else {}),
                                   **({"x": p[0], "y": p[1]} if p else {})},
                  st.sampled_from(["up", "down", "left", "right"]),
                  st.none() | st.integers(1, 10_000), st.none() | st.tuples(c, c)),
        st.builds(lambda t, s: {"action": "type", "text": t, "submit": s}, st.text(), st.booleans()),
        st.builds(lambda k: {"action": "key", "keys": k},
                  st.lists(st.sampled_from(KEY_NAMES) | key_char, min_size=1, max_size=3)),
        st.builds(lambda n: {"action": "button", "name": n},
                  st.sampled_from(["home", "back", "enter", "menu", "app_switch"])),
        st.builds(lambda n: {"action": "open_app", "name": n}, name),
        st.builds(lambda s: {"action": "wait", "seconds": s / 1000}, st.integers(0, 600_000)),
        st.builds(lambda s, a: {"action": "terminate", "status": s,
                                **({"answer": a} if a is not None else {})},
                  st.sampled_from(["success", "failure"]), st.none() | st.text(min_size=1)),
    )
    tool = st.builds(lambda q, n: {"action": "search_web", "query": q, "limit": n},
                     st.text(), st.integers(0, 100))
    return gui | tool


thoughts = st.text(alphabet=string.ascii_letters + string.digits + " .,!?-", max_size=40).map(
    str.strip)


@st.composite
def cases(draw):
    fmt = draw(st.sampled_from(list(FORMATS)))
    kind = draw(st.sampled_from(KINDS))
    frame = Frame(kind=kind, min_pixels=256 * 28 * 28, max_pixels=1280 * 28 * 28)
    acts = draw(st.lists(action(kind), min_size=1, max_size=3))
    return fmt, frame, acts, draw(thoughts)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_render_then_parse_gives_the_actions_back(case):
    fmt, frame, acts, thought = case
    text = render(acts, fmt, frame, thought)
    parsed = parse(text, fmt, frame)
    assert parsed.calls == [_read_back(fmt, frame, a) for a in acts], text
    assert parsed.thought == thought
    assert parsed.frame == frame


def _read_back(fmt, frame, act):
    """What the parser gives back for a rendered action: itself, except that UI-TARS 1.5's
    grammars have no swipe — it is written as drag(start_point, end_point) (no duration), which
    the policy's format turns back into a swipe on a phone."""
    if fmt == "uitars" and frame.kind != "rel1000" and act["action"] == "swipe":
        act = {"action": "drag", **{k: act[k] for k in ("x1", "y1", "x2", "y2")}}
    return canonical(dict(act))


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("model", GUI_ACTIONS, ids=[m.action_name() for m in GUI_ACTIONS])
def test_every_action_type_round_trips_in_the_default_frame(fmt, model):
    """Each action type, in the format's own frame, read back without being told the frame or
    the format."""
    from vagent.actions import get_space

    frame = default_frame(fmt)
    space = get_space("gui").with_screen(1000, 1000)
    for seed in range(8):
        space.seed(seed)
        sample = None
        for _ in range(200):
            candidate = space.sample()
            if isinstance(candidate, model):
                sample = candidate
                break
        if sample is None:
            sample = model.model_validate({"action": model.action_name(),
                                           **_minimal_fields(model)})
        want = sample.dump()
        if want["action"] == "key":
            want["keys"] = [k if len(k) == 1 else k.lower() for k in want["keys"]]
        if want["action"] == "open_app":
            want["name"] = want["name"].strip()
        text = render(sample, fmt, frame, "why")
        for how in (fmt, "auto"):
            parsed = parse(text, how)
            assert parsed.format == fmt and parsed.frame.kind == frame.kind
            assert parsed.calls == [_read_back(fmt, frame, want)], text


def _minimal_fields(model):
    return {"click": {"x": 1, "y": 2}, "long_press": {"x": 1, "y": 2},
            "swipe": {"x1": 1, "y1": 2, "x2": 3, "y2": 4},
            "drag": {"x1": 1, "y1": 2, "x2": 3, "y2": 4}, "move": {"x": 1, "y": 2},
            "scroll": {"direction": "down"}, "type": {"text": "a"}, "key": {"keys": ["a"]},
            "button": {"name": "home"}, "open_app": {"name": "A"}}.get(model.action_name(), {})


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_uitars_and_qwen_frames_follow_the_syntax(fmt):
    text = render({"action": "click", "x": 10, "y": 20}, fmt, Frame(kind="resized"))
    want = {"qwen2vl": "rel1000", "qwen25vl": "resized", "uitars": "resized", "json": "pixels",
            "openai": "pixels"}[fmt]
    assert parse(text, fmt).frame.kind == want
    assert detect_format(text) == fmt


def test_render_picks_the_tool():
    from vagent.actions.parsing import render as r

    assert '"computer_use"' in r({"action": "type", "text": "a"}, "qwen25vl", tool="computer_use")
    assert '"mobile_use"' in r({"action": "type", "text": "a"}, "qwen25vl", tool="mobile_use")
    # mobile_use has no drag: the other tool is used
    assert '"computer_use"' in r({"action": "drag", "x1": 1, "y1": 2, "x2": 3, "y2": 4},
                                 "qwen25vl", tool="mobile_use")
    with pytest.raises(ParseError):
        r({"action": "wait"}, "qwen25vl", tool="browser")
    with pytest.raises(ParseError):
        r([], "json")
    with pytest.raises(ParseError):
        r({"x": 1}, "json")


def test_safety_net_turns_a_bug_into_a_parse_error(monkeypatch):
    """parse() guarantees ParseError even if a parser has a bug (the fuzz tests above call the
    unguarded _parse, so they would still catch that bug)."""
    from vagent.actions.parsing import jsonfmt

    def broken(text, frame):
        raise KeyError("bug")

    monkeypatch.setattr(jsonfmt, "parse", broken)
    with pytest.raises(ParseError, match="KeyError"):
        parse('{"action": "wait"}', "json")
    with pytest.raises(KeyError):
        _parse('{"action": "wait"}', "json")


@pytest.mark.parametrize("fmt", ["qwen2vl", "qwen25vl"])
def test_computer_use_pointer_actions_round_trip_as_the_cookbook_writes_them(fmt):
    """Qwen2.5-VL's computer_use: a click may leave out its point (at the pointer); a
    left_click_drag's `coordinate` is where it ends, so a drag from a point is written as a
    mouse_move to the start and a left_click_drag to the end — never `start_coordinate`."""
    frame = default_frame(fmt)
    pointer_click = {"action": "click", "button": "right", "clicks": 1}
    drag_from_pointer = {"action": "drag", "x2": 30, "y2": 40}
    drag = {"action": "drag", "x1": 1, "y1": 2, "x2": 30, "y2": 40}
    for act in (pointer_click, drag_from_pointer, drag):
        text = render(act, fmt, frame)
        assert "start_coordinate" not in text and "coordinate2" not in text, text
        assert parse(text, fmt).calls == [canonical(act)], text
    text = render(drag, fmt, frame)
    assert text.count("mouse_move") == 1 and text.count("left_click_drag") == 1
    assert text.index("mouse_move") < text.index("left_click_drag")
    assert "coordinate" not in render(pointer_click, fmt, frame)
