"""Each format's parser on what models really write: several calls, prose, broken JSON, nasty
text, every vocabulary word. Coordinates stay in the model's frame here."""

from __future__ import annotations

import json

import pytest

from vagent.actions import Frame, ParseError
from vagent.actions.parsing import detect_format, parse


def calls(text, fmt="auto", frame=None):
    return parse(text, fmt, frame).calls


def one(text, fmt="auto", frame=None):
    got = calls(text, fmt, frame)
    assert len(got) == 1, got
    return got[0]


def click(x, y, button="left", clicks=1):
    return {"action": "click", "x": x, "y": y, "button": button, "clicks": clicks}


def tc(args, name="mobile_use"):
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>"


NASTY = 'it\'s "quoted" $(rm -rf /) `id` \\ back\\slash 中文 ✓ 🚀 \t tab\nnew line'


# --- qwen25vl: nous <tool_call> ---------------------------------------------------------------

class TestNous:
    def test_frame_is_resized_and_takes_pixels_from_the_caller(self):
        p = parse(tc({"action": "click", "coordinate": [1, 2]}), "qwen25vl")
        assert p.frame == Frame(kind="resized") and p.format == "qwen25vl"
        mine = Frame(kind="resized", min_pixels=256 * 784, max_pixels=1280 * 784)
        assert parse(tc({"action": "click", "coordinate": [1, 2]}), "qwen25vl", mine).frame == mine

    def test_several_blocks_and_thought(self):
        text = ("<think>The field is empty.</think>\nFirst tap, then type.\n"
                + tc({"action": "click", "coordinate": [10, 20]}) + "\nand then\n"
                + tc({"action": "type", "text": "hello"}))
        p = parse(text)
        assert p.calls == [click(10, 20), {"action": "type", "text": "hello", "submit": False}]
        assert p.thought == "The field is empty.\nFirst tap, then type.\nand then"

    def test_thought_label_is_stripped(self):
        p = parse("Thought: go home\nAction:\n" + tc({"action": "system_button",
                                                       "button": "Home"}))
        assert p.thought == "go home"

    @pytest.mark.parametrize("body", [
        "```json\n{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", \"coordinate\": [5, 6]}}\n```",
        "{'name': 'mobile_use', 'arguments': {'action': 'click', 'coordinate': [5, 6],},}",
        "{name: \"mobile_use\", arguments: {action: \"click\", coordinate: [5, 6]}}",
        "{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", \"coordinate\": (5, 6)}}",
        "{\"name\": \"mobile_use\", \"arguments\": \"{\\\"action\\\": \\\"click\\\", \\\"coordinate\\\": [5, 6]}\"}",
        "{\"name\": \"mobile_use\" \"arguments\": {\"action\": \"click\" \"coordinate\": [5, 6]}}",
        "{\"name\": \"mobile_use\", // the phone\n \"arguments\": {\"action\": \"click\", /* here */ \"coordinate\": [5, 6]}}",
        "{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", \"coordinate\": \"[5, 6]\"}}",
        "{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", \"coordinate\": [\"5\", \"6\"]}}",
        "{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", \"coordinate\": [5, 6]",
        "{\"name\": \"mobile_use\", \"arguments\": {\"action\": \"click\", \"coordinate\": [5, 6",
    ])
    def test_broken_json_is_repaired(self, body):
        assert one(f"<tool_call>\n{body}\n</tool_call>", "qwen25vl") == click(5, 6)

    def test_missing_close_tag_before_the_next_block(self):
        text = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
                '"coordinate": [1, 2]}\n<tool_call>\n{"name": "mobile_use", "arguments": '
                '{"action": "wait", "time": 2}}\n</tool_call>')
        p = parse(text)
        assert p.calls == [click(1, 2), {"action": "wait", "seconds": 2}]
        assert p.repairs  # the repair is reported

    def test_nasty_text_survives(self):
        assert one(tc({"action": "type", "text": NASTY})) == {
            "action": "type", "text": NASTY, "submit": False}

    def test_typed_closing_tag_does_not_end_the_call(self):
        text = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "type", '
                '"text": "a </tool_call> <tool_call> b"}}\n</tool_call>')
        assert one(text)["text"] == "a </tool_call> <tool_call> b"

    def test_unescaped_quotes_inside_text(self):
        text = '<tool_call>{"name": "mobile_use", "arguments": {"action": "type", "text": "say "hi" to Bob"}}</tool_call>'
        assert one(text)["text"] == 'say "hi" to Bob'

    def test_trailing_newline_submits(self):
        assert one(tc({"action": "type", "text": "pizza\n"})) == {
            "action": "type", "text": "pizza", "submit": True}
        assert one(tc({"action": "type", "text": "a\nb"}))["submit"] is False

    @pytest.mark.parametrize("args,want", [
        ({"action": "long_press", "coordinate": [3, 4], "time": 2}, {"action": "long_press", "x": 3, "y": 4, "duration_ms": 2000}),
        ({"action": "long_press", "coordinate": [3, 4]}, {"action": "long_press", "x": 3, "y": 4, "duration_ms": 1000}),
        ({"action": "swipe", "coordinate": [1, 2], "coordinate2": [3, 4]}, {"action": "swipe", "x1": 1, "y1": 2, "x2": 3, "y2": 4, "duration_ms": 300}),
        ({"action": "swipe", "coordinate": [5, 6], "direction": "up"}, {"action": "scroll", "direction": "down", "x": 5, "y": 6}),
        ({"action": "key", "text": "volume_up"}, {"action": "key", "keys": ["volume_up"]}),
        ({"action": "system_button", "button": "Back"}, {"action": "button", "name": "back"}),
        ({"action": "system_button", "button": "Menu"}, {"action": "button", "name": "menu"}),
        ({"action": "system_button", "button": "Enter"}, {"action": "button", "name": "enter"}),
        ({"action": "system_button", "button": "App Switch"}, {"action": "button", "name": "app_switch"}),
        ({"action": "open", "text": "Chrome"}, {"action": "open_app", "name": "Chrome"}),
        ({"action": "wait", "time": 1.5}, {"action": "wait", "seconds": 1.5}),
        ({"action": "terminate", "status": "success"}, {"action": "terminate", "status": "success"}),
        ({"action": "terminate", "status": "failure"}, {"action": "terminate", "status": "failure"}),
    ])
    def test_mobile_use_vocabulary(self, args, want):
        assert one(tc(args)) == want

    @pytest.mark.parametrize("args,want", [
        ({"action": "left_click", "coordinate": [7, 8]}, click(7, 8)),
        ({"action": "double_click", "coordinate": [7, 8]}, click(7, 8, clicks=2)),
        ({"action": "triple_click", "coordinate": [7, 8]}, click(7, 8, clicks=3)),
        ({"action": "right_click", "coordinate": [7, 8]}, click(7, 8, "right")),
        ({"action": "middle_click", "coordinate": [7, 8]}, click(7, 8, "middle")),
        ({"action": "mouse_move", "coordinate": [7, 8]}, {"action": "move", "x": 7, "y": 8}),
        ({"action": "key", "keys": ["ctrl", "c"]}, {"action": "key", "keys": ["ctrl", "c"]}),
        ({"action": "key", "keys": ["Ctrl+Shift+T"]}, {"action": "key", "keys": ["ctrl", "shift", "T"]}),
        ({"action": "type", "text": "x"}, {"action": "type", "text": "x", "submit": False}),
        ({"action": "scroll", "pixels": 300}, {"action": "scroll", "direction": "up", "amount": 300}),
        ({"action": "scroll", "pixels": -5, "coordinate": [1, 2]}, {"action": "scroll", "direction": "down", "amount": 5, "x": 1, "y": 2}),
        ({"action": "hscroll", "pixels": 40}, {"action": "scroll", "direction": "right", "amount": 40}),
        ({"action": "hscroll", "pixels": -40}, {"action": "scroll", "direction": "left", "amount": 40}),
        ({"action": "left_click_drag", "start_coordinate": [1, 2], "coordinate": [3, 4]}, {"action": "drag", "x1": 1, "y1": 2, "x2": 3, "y2": 4}),
        ({"action": "answer", "text": "42"}, {"action": "terminate", "status": "success", "answer": "42"}),
        ({"action": "wait", "time": 3}, {"action": "wait", "seconds": 3}),
    ])
    def test_computer_use_vocabulary(self, args, want):
        assert one(tc(args, "computer_use")) == want

    def test_mouse_move_then_drag_is_one_drag(self):
        text = (tc({"action": "mouse_move", "coordinate": [1, 2]}, "computer_use")
                + tc({"action": "left_click_drag", "coordinate": [30, 40]}, "computer_use"))
        assert calls(text) == [{"action": "drag", "x1": 1, "y1": 2, "x2": 30, "y2": 40}]

    def test_drag_without_start_starts_at_the_pointer(self):
        # the cookbook's left_click_drag: `coordinate` is the END; the drag starts at the pointer
        assert one(tc({"action": "left_click_drag", "coordinate": [30, 40]}, "computer_use")) \
            == {"action": "drag", "x2": 30, "y2": 40}

    @pytest.mark.parametrize("verb,button,clicks", [
        ("left_click", "left", 1), ("right_click", "right", 1), ("middle_click", "middle", 1),
        ("double_click", "left", 2), ("triple_click", "left", 3)])
    def test_computer_use_click_without_coordinate_is_at_the_pointer(self, verb, button, clicks):
        assert one(tc({"action": verb}, "computer_use")) == \
            {"action": "click", "button": button, "clicks": clicks}

    def test_mobile_tap_without_coordinate_is_refused(self):
        # a touchscreen has no pointer: mobile_use's click always names a point
        with pytest.raises(ParseError, match="point"):
            parse(tc({"action": "click"}))

    def test_half_a_point_is_not_at_the_pointer(self):
        with pytest.raises(ParseError):
            parse(tc({"action": "left_click", "coordinate": [5]}, "computer_use"))

    def test_user_tools_pass_through(self):
        text = tc({"city": "Paris", "unit": "celsius"}, "get_weather")
        assert one(text) == {"action": "get_weather", "city": "Paris", "unit": "celsius"}

    def test_tags_stripped_by_the_server(self):
        text = '{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [1, 2]}}'
        assert detect_format(text) == "qwen25vl"
        assert one(text) == click(1, 2)

    @pytest.mark.parametrize("text,match", [
        ("<tool_call>\n</tool_call>", "no JSON object"),
        ("<tool_call>{\"arguments\": {}}</tool_call>", "no \"name\""),
        (tc({"coordinate": [1, 2]}), "no 'action'"),
        (tc({"action": "click"}), "point"),
        (tc({"action": "click", "coordinate": "the button"}), "coordinate"),
        (tc({"action": "scroll", "pixels": 0}, "computer_use"), "0 pixels"),
        (tc({"action": "type"}), "text"),
        ("I would click the button.", "no <tool_call>"),
        ("<tool_call>" * 100, "holds no JSON"),
    ])
    def test_errors_say_what_is_wrong(self, text, match):
        with pytest.raises(ParseError, match=match):
            parse(text, "qwen25vl")

    def test_error_names_the_block(self):
        text = tc({"action": "click", "coordinate": [1, 2]}) + tc({"action": "click"})
        with pytest.raises(ParseError, match="<tool_call> 2") as e:
            parse(text)
        assert e.value.pos is not None and e.value.pos > len(tc({"action": "click", "coordinate": [1, 2]})) - 5


# --- qwen2vl: Qwen-Agent ✿FUNCTION✿ --------------------------------------------------------------

def fn(name, args):
    return f"✿FUNCTION✿: {name}\n✿ARGS✿: {json.dumps(args, ensure_ascii=False)}"


class TestQwenAgent:
    def test_frame_is_rel1000(self):
        p = parse(fn("mobile_use", {"action": "click", "coordinate": [1, 2]}))
        assert p.frame.kind == "rel1000" and p.format == "qwen2vl"

    @pytest.mark.parametrize("target,xy", [
        ("<|object_ref_start|>OK<|object_ref_end|><|box_start|>(100,200),(300,260)<|box_end|>", (200, 230)),
        ("<|box_start|>(500,500),(500,500)<|box_end|>", (500, 500)),
        ("<|box_start|>(412,87)<|box_end|>", (412, 87)),
        ("<|box_start|>(10, 20), (31, 41)<|box_end|>", (20.5, 30.5)),
        ([120, 340], (120, 340)),
    ])
    def test_box_tokens_click_at_the_centre(self, target, xy):
        assert one(fn("mobile_use", {"action": "click", "target": target})) == click(*xy)

    def test_several_calls_prose_and_results(self):
        text = ("The app is closed, so open it and wait.\n"
                + fn("mobile_use", {"action": "open", "text": "Clock"}) + "\n"
                + "✿RESULT✿: ok\n"
                + fn("mobile_use", {"action": "wait", "time": 2}) + "\n✿RETURN✿: Done.")
        p = parse(text)
        assert p.thought == "The app is closed, so open it and wait."
        assert p.calls == [{"action": "open_app", "name": "Clock"},
                           {"action": "wait", "seconds": 2}]

    def test_swipe_with_two_boxes(self):
        text = fn("mobile_use", {"action": "swipe",
                                 "coordinate": "<|box_start|>(500,800),(500,800)<|box_end|>",
                                 "coordinate2": "<|box_start|>(500,200),(500,200)<|box_end|>"})
        assert one(text) == {"action": "swipe", "x1": 500, "y1": 800, "x2": 500, "y2": 200,
                             "duration_ms": 300}

    @pytest.mark.parametrize("text", [
        "✿FUNCTION✿: mobile_use\n✿ARGS✿: {'action': 'type', 'text': 'hi',}",
        "✿FUNCTION✿: mobile_use\n✿ARGS✿: {\"action\": \"type\", \"text\": \"hi\"",
        "✿FUNCTION✿: mobile_use\n✿ARGS✿: ```json\n{\"action\": \"type\", \"text\": \"hi\"}\n```",
        "✿FUNCTION✿: mobile_use\n✿ARGS✿: {\"action\": \"type\", \"text\": \"hi\"}\n✿RES",
        "✿FUNCTION✿:mobile_use✿ARGS✿:{\"action\": \"type\", \"text\": \"hi\"}",
    ])
    def test_broken_arguments(self, text):
        assert one(text) == {"action": "type", "text": "hi", "submit": False}

    def test_nasty_text(self):
        # a typed marker inside valid JSON stays text (the call is read past it)
        got = one(fn("mobile_use", {"action": "type", "text": NASTY + " ✿FUNCTION✿: x\n✿ARGS✿"}))
        assert got["text"] == NASTY + " ✿FUNCTION✿: x\n✿ARGS✿"

    def test_call_without_args_and_project_names(self):
        assert one("✿FUNCTION✿: press_home") == {"action": "button", "name": "home"}
        assert one(fn("click", {"x": 3, "y": 4})) == click(3, 4)

    def test_grounding_answer_is_a_click(self):
        text = ("<|object_ref_start|>language switch<|object_ref_end|>"
                "<|box_start|>(576,12),(592,42)<|box_end|>")
        p = parse(text)
        assert p.format == "qwen2vl" and p.calls == [click(584, 27)]

    @pytest.mark.parametrize("text,match", [
        ("✿FUNCTION✿: \n✿ARGS✿: {}", "names no function"),
        ("✿FUNCTION✿: mobile_use\n✿ARGS✿: click the button", "not a JSON object"),
        ("✿FUNCTION✿: mobile_use\n✿ARGS✿: {\"action\": \"click\", \"target\": \"the OK button\"}", "target"),
        ("nothing here", "no ✿FUNCTION✿"),
        ("✿FUNCTION✿: a\n" * 100, "more than"),
    ])
    def test_errors(self, text, match):
        with pytest.raises(ParseError, match=match):
            parse(text, "qwen2vl")


# --- uitars ------------------------------------------------------------------------------------

class TestUITARS:
    def test_v1_and_v15_frames(self):
        v1 = parse("Action: click(start_box='<|box_start|>(1,2)<|box_end|>')", "uitars")
        v15 = parse("Action: click(point='<point>1 2</point>')", "uitars")
        assert v1.frame.kind == "rel1000" and v15.frame.kind == "resized"
        assert v1.calls == v15.calls == [click(1, 2)]
        given = Frame(kind="resized", max_pixels=512 * 784)
        assert parse("Action: click(point='<point>1 2</point>')", "uitars", given).frame == given

    @pytest.mark.parametrize("action,want", [
        ("click(start_box='<|box_start|>(235,512)<|box_end|>')", click(235, 512)),
        ("click(start_box='(235,512)')", click(235, 512)),
        ("click(start_box='[230, 500, 240, 524]')", click(235, 512)),
        ("click(start_box=<|box_start|>(235,512)<|box_end|>)", click(235, 512)),
        ("click(point='<point>235 512</point>')", click(235, 512)),
        ("click(start_box='<bbox>230 500 240 524</bbox>')", click(235, 512)),
        ("left_double(start_box='(1,2)')", click(1, 2, clicks=2)),
        ("right_single(start_box='(1,2)')", click(1, 2, "right")),
        ("drag(start_box='(1,2)', end_box='(3,4)')", {"action": "drag", "x1": 1, "y1": 2, "x2": 3, "y2": 4}),
        ("drag(start_point='<point>1 2</point>', end_point='<point>3 4</point>')", {"action": "drag", "x1": 1, "y1": 2, "x2": 3, "y2": 4}),
        ("hotkey(key='ctrl c')", {"action": "key", "keys": ["ctrl", "c"]}),
        ("hotkey(key='Enter')", {"action": "key", "keys": ["enter"]}),
        ("type(content='hello')", {"action": "type", "text": "hello", "submit": False}),
        ("type(content='hello\\n')", {"action": "type", "text": "hello", "submit": True}),
        ("type(content=\"it's\")", {"action": "type", "text": "it's", "submit": False}),
        ("scroll(start_box='(5,6)', direction='down')", {"action": "scroll", "direction": "down", "x": 5, "y": 6}),
        ("scroll(direction='up')", {"action": "scroll", "direction": "up"}),
        ("scroll(point='<point>5 6</point>', direction='left')", {"action": "scroll", "direction": "left", "x": 5, "y": 6}),
        ("scroll(start_box='(500,800)', end_box='(500,200)')", {"action": "swipe", "x1": 500, "y1": 800, "x2": 500, "y2": 200, "duration_ms": 300}),
        ("long_press(start_box='(1,2)', time='')", {"action": "long_press", "x": 1, "y": 2, "duration_ms": 1000}),
        ("long_press(point='<point>1 2</point>', time='3')", {"action": "long_press", "x": 1, "y": 2, "duration_ms": 3000}),
        ("press_home()", {"action": "button", "name": "home"}),
        ("press_back()", {"action": "button", "name": "back"}),
        ("open_app(app_name='Google Maps')", {"action": "open_app", "name": "Google Maps"}),
        ("wait()", {"action": "wait", "seconds": 5}),
        ("finished()", {"action": "terminate", "status": "success"}),
        ("finished(content='The price is $5')", {"action": "terminate", "status": "success", "answer": "The price is $5"}),
        ("call_user()", {"action": "terminate", "status": "failure"}),
        ("search_web(query='pizza', n=3)", {"action": "search_web", "query": "pizza", "n": 3}),
    ])
    def test_grammar(self, action, want):
        assert one(f"Thought: ok\nAction: {action}", "uitars") == want

    @pytest.mark.parametrize("content,text", [
        ("'I'm here'", "I'm here"),
        ("'restaurants in San Diego's downtown'", "restaurants in San Diego's downtown"),
        ("'a, b) c'", "a, b) c"),
        ("'say \\'hi\\''", "say 'hi'"),
        ("'C:\\\\Users\\\\me'", "C:\\Users\\me"),
        ("'$(rm -rf /) `id` 中文 🚀'", "$(rm -rf /) `id` 中文 🚀"),
        ("'line1\\nline2'", "line1\nline2"),
        ("\"double 'single' \\\"escaped\\\"\"", "double 'single' \"escaped\""),
        ("'x=1, y=2'", "x=1, y=2"),
    ])
    def test_quotes_inside_content(self, content, text):
        assert one(f"Action: type(content={content})")["text"] == text

    @pytest.mark.parametrize("raw,text", [
        ("Action: type(content='hello", "hello"),
        ("Action: type(content='hello)", "hello"),
        ("Action: type(content='hello'", "hello"),
        ("Action: type(content='it's fine", "it's fine"),
    ])
    def test_missing_close(self, raw, text):
        assert one(raw)["text"] == text

    def test_missing_paren_then_next_call(self):
        text = "Action: click(start_box='(1,2)'\n\ntype(content='it's ok')"
        assert calls(text) == [click(1, 2), {"action": "type", "text": "it's ok", "submit": False}]

    def test_several_actions_and_labels(self):
        text = ("Reflection: the menu did not open.\nAction_Summary: open it again.\n"
                "Thought: tap the menu, then type.\n"
                "Action: click(start_box='(10,20)')\n\ntype(content='abc\\n')\n\nAction: wait()")
        p = parse(text)
        assert p.format == "uitars" and p.thought == "tap the menu, then type."
        assert p.calls == [click(10, 20), {"action": "type", "text": "abc", "submit": True},
                           {"action": "wait", "seconds": 5}]

    def test_thought_without_label(self):
        p = parse("I should go back.\nAction: press_back()")
        assert p.thought == "I should go back." and p.calls == [{"action": "button", "name": "back"}]

    def test_call_without_action_label(self):
        assert one("click(start_box='(3,4)')") == click(3, 4)

    def test_real_newline_in_content(self):
        assert one("Action: type(content='a\nb\n')") == {"action": "type", "text": "a\nb",
                                                          "submit": True}

    @pytest.mark.parametrize("text,match", [
        ("Thought: nothing to do", "no 'Action:"),
        ("Action: click()", "point"),
        ("Action: click(start_box='here')", "start_box"),
        ("Action: hotkey()", "keys"),
        ("Action: type()", "text"),
        ("Action: scroll(start_box='(1,2)')", "direction"),
        ("Action: " + "wait()\n" * 100, "more than"),
    ])
    def test_errors(self, text, match):
        with pytest.raises(ParseError, match=match):
            parse(text, "uitars")


# --- json --------------------------------------------------------------------------------------

class TestJSON:
    @pytest.mark.parametrize("text", [
        '{"thoughts": "tap it", "action": {"action": "click", "x": 10, "y": 20}}',
        '{"thought": "tap it", "action": "click", "x": 10, "y": 20}',
        'Sure!\n```json\n{"thoughts": "tap it", "action": {"action": "click", "x": 10, "y": 20}}\n```\nDone.',
        "{'thoughts': 'tap it', 'action': {'action': 'click', 'x': 10, 'y': 20,},}",
        '{"thoughts": "tap it", "action": {"action": "click", "x": 10, "y": 20}',
        '{"thoughts": "tap it", "action": {"name": "click", "arguments": {"x": 10, "y": 20}}}',
        '{"thoughts": "tap it", "action": "click(start_box=\'(10,20)\')"}',
        '{"thoughts": {"text": "tap it"}, "action": {"action": "click", "x": 10, "y": 20}}',
        '{"reasoning": "tap it", "action_type": "click", "x": 10, "y": 20}',
    ])
    def test_shapes(self, text):
        p = parse(text, "json")
        assert p.calls == [click(10, 20)] and p.thought == "tap it" and p.frame.kind == "pixels"

    def test_bare_and_lists(self):
        assert one('{"action": "type", "text": "hi", "submit": true}', "json") == {
            "action": "type", "text": "hi", "submit": True}
        text = '[{"action": "click", "x": 1, "y": 2}, {"action": "key", "keys": ["enter"]}]'
        assert calls(text, "json") == [click(1, 2), {"action": "key", "keys": ["enter"]}]
        text = '{"thoughts": "two", "actions": [{"action": "wait"}, {"action": "terminate"}]}'
        assert calls(text, "json") == [{"action": "wait", "seconds": 1.0},
                                       {"action": "terminate", "status": "success"}]

    def test_showui_in_the_unit_frame(self):
        p = parse("{'action': 'CLICK', 'value': None, 'position': [0.49, 0.42]}", "json",
                  Frame(kind="unit"))
        assert p.calls == [click(0.49, 0.42)] and p.frame.kind == "unit"
        assert one("{'action': 'INPUT', 'value': 'shoes', 'position': None}", "json") == {
            "action": "type", "text": "shoes", "submit": False}

    def test_prose_before_a_fence_is_the_thought(self):
        p = parse('Sure, tapping it.\n```json\n{"action": "click", "x": 1, "y": 2}\n```', "json")
        assert p.thought == "Sure, tapping it." and p.calls == [click(1, 2)]

    def test_prose_thought_and_braces_before(self):
        p = parse('I think {this} is it.\n{"action": "click", "x": 1, "y": 2}', "json")
        assert p.calls == [click(1, 2)] and p.thought == "I think {this} is it."

    def test_nasty_text(self):
        text = json.dumps({"thoughts": "t", "action": {"action": "type", "text": NASTY}})
        assert one(text, "json")["text"] == NASTY

    def test_env_actions_pass_through(self):
        assert one('{"action": "PickupObject", "object": "Apple|1"}', "json") == {
            "action": "PickupObject", "object": "Apple|1"}
        # a name shared with an env's own action is left for the action space to judge
        assert one('{"action": "move", "viewpoint": "abc123"}', "json") == {
            "action": "move", "viewpoint": "abc123"}

    @pytest.mark.parametrize("text,match", [
        ("no json at all", "no JSON answer"),
        ('{"thoughts": "hmm"}', "no JSON answer"),
        ('{"action": 5}', "no action"),
    ])
    def test_errors(self, text, match):
        with pytest.raises(ParseError, match=match):
            parse(text, "json")


# --- openai ------------------------------------------------------------------------------------

def oa(name, args, as_string=True):
    return {"id": "call_1", "type": "function",
            "function": {"name": name, "arguments": json.dumps(args) if as_string else args}}


class TestOpenAI:
    def test_list_of_calls(self):
        value = [oa("click", {"x": 1, "y": 2}), oa("get_weather", {"city": "Oslo"})]
        p = parse(value, "openai")
        assert p.calls == [click(1, 2), {"action": "get_weather", "city": "Oslo"}]
        assert p.frame.kind == "pixels"
        assert parse(json.dumps(value)).calls == p.calls  # JSON text, auto-detected

    def test_message_completion_and_sdk_objects(self):
        message = {"role": "assistant", "content": "Checking.",
                   "tool_calls": [oa("mobile_use", {"action": "click", "coordinate": [5, 6]})]}
        assert parse(message).thought == "Checking."
        assert parse({"choices": [{"message": message}]}).calls == [click(5, 6)]
        from openai.types.chat import ChatCompletionMessage

        sdk = ChatCompletionMessage.model_validate(message)
        assert parse(sdk, "openai").calls == [click(5, 6)]

    def test_broken_arguments_and_dict_arguments(self):
        call = {"function": {"name": "type", "arguments": "{'text': 'it\\'s', 'submit': True,"}}
        assert one([call], "openai") == {"action": "type", "text": "it's", "submit": True}
        assert one([oa("wait", {"seconds": 2}, as_string=False)], "openai") == {
            "action": "wait", "seconds": 2}
        assert one({"function_call": {"name": "wait", "arguments": ""}}, "openai") == {
            "action": "wait"} | {"seconds": 1.0}

    @pytest.mark.parametrize("value,match", [
        ([{"function": {"arguments": "{}"}}], "no function name"),
        ([{"function": {"name": "click", "arguments": "[1, 2]"}}], "must be an object"),
        ({"content": "no calls", "tool_calls": []}, "no tool calls"),
        ("nothing", "no tool calls"),
        (42, "expected tool calls"),
    ])
    def test_errors(self, value, match):
        with pytest.raises(ParseError, match=match):
            parse(value, "openai")


# --- detection and the API's edges ---------------------------------------------------------------

@pytest.mark.parametrize("text,fmt", [
    ("✿FUNCTION✿: mobile_use\n✿ARGS✿: {}", "qwen2vl"),
    ("<tool_call>{}</tool_call>", "qwen25vl"),
    ("Thought: x\nAction: click(start_box='(1,2)')", "uitars"),
    ("press_back()", "uitars"),
    ("<|box_start|>(1,2),(3,4)<|box_end|>", "qwen2vl"),
    ('{"action": "click", "x": 1, "y": 2}', "json"),
    ('```json\n{"thoughts": "Action: click(1)", "action": {"action": "wait"}}\n```', "json"),
    ('[{"type": "function", "function": {"name": "wait", "arguments": "{}"}}]', "openai"),
    ('{"tool_calls": []}', "openai"),
])
def test_detect_format(text, fmt):
    assert detect_format(text) == fmt


@pytest.mark.parametrize("fmt", ["auto", "qwen2vl", "qwen25vl", "uitars", "json", "openai"])
def test_empty_output_is_a_parse_error(fmt):
    for text in ("", "   \n\t "):
        with pytest.raises(ParseError):
            parse(text, fmt)


def test_unknown_format_lists_the_valid_ones():
    with pytest.raises(ParseError, match="qwen25vl"):
        parse("x", "hermes")


def test_parse_error_carries_a_position():
    with pytest.raises(ParseError) as e:
        parse("ok\n" + tc({"action": "click"}), "qwen25vl")
    assert e.value.pos is not None and "at character" in str(e.value)


def test_uitars_writes_a_swipe_in_each_versions_grammar():
    """1.5's grammars have no swipe (its mobile prompt offers drag(start_point, end_point));
    v1's mobile prompt writes it as scroll(start_box, end_box)."""
    from vagent.actions.parsing import render

    swipe = {"action": "swipe", "x1": 10, "y1": 20, "x2": 30, "y2": 40, "duration_ms": 300}
    v15 = render(swipe, "uitars", Frame(kind="resized"))
    assert v15 == ("Action: drag(start_point='<point>10 20</point>', "
                   "end_point='<point>30 40</point>')"), v15
    v1 = render(swipe, "uitars", Frame(kind="rel1000"))
    assert v1.startswith("Action: scroll(start_box=") and "end_box=" in v1, v1
    assert one(v1, "uitars", Frame(kind="rel1000"))["action"] == "swipe"
