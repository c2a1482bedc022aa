"""``vagent parse`` as a user runs it (a subprocess): the reference examples, options, failures."""

from __future__ import annotations

import json
import subprocess

import pytest

# The examples of the project's reference (shared/reference/model-outputs.md): format, screen,
# raw text, the action expected in screen pixels (±1 px tolerated on coordinates).
EXAMPLES = [
    ("qwen25vl", "1080x2400",
     '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
     '"coordinate": [935, 406]}}\n</tool_call>',
     {"action": "click", "x": 925, "y": 405}),
    ("qwen25vl", "1080x2400",
     'I need to scroll the list.\n<tool_call>\n{"name": "mobile_use", "arguments": '
     '{"action": "swipe", "coordinate": [546, 1800], "coordinate2": [546, 600]}}\n</tool_call>',
     {"action": "swipe", "x1": 540, "y1": 1794, "x2": 540, "y2": 598}),
    ("qwen2vl", "1080x2400",
     '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "target": "<|object_ref_start|>Chrome'
     '<|object_ref_end|><|box_start|>(100,200),(300,260)<|box_end|>"}',
     {"action": "click", "x": 216, "y": 552}),
    ("uitars", "1920x1080",
     "Thought: The search box is at the top.\n"
     "Action: click(start_box='<|box_start|>(235,512)<|box_end|>')",
     {"action": "click", "x": 451, "y": 553, "button": "left", "clicks": 1}),
    ("uitars", "1920x1080",
     "Thought: type the query\nAction: type(content='restaurants in San Diego\\'s downtown\\n')",
     {"action": "type", "text": "restaurants in San Diego's downtown", "submit": True}),
    ("qwen25vl", "1080x2400",
     '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "system_button", '
     '"button": "Home"}}\n</tool_call>',
     {"action": "button", "name": "home"}),
    ("qwen25vl", "1080x2400",
     '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "type", "text": "pizza"}',
     {"action": "type", "text": "pizza", "submit": False}),
]
COORDS = {"x", "y", "x1", "y1", "x2", "y2"}


def run(cmd: list[str], env: dict[str, str], *args: str, stdin: str | bytes | None = None,
        ) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([*cmd, "parse", *args], env=env, input=data, capture_output=True,
                          timeout=60)


def matches(got: dict, want: dict) -> bool:
    for key, value in want.items():
        if key in COORDS:
            if abs(got.get(key, -999) - value) > 1:
                return False
        elif got.get(key) != value:
            return False
    return True


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"ex{i}" for i in range(1, 8)])
def test_reference_examples(example, vagent_cmd, subprocess_env):
    form, screen, text, want = example
    res = run(vagent_cmd, subprocess_env, text, "--screen", screen, "--format", form)
    assert res.returncode == 0, res.stderr.decode()
    out = json.loads(res.stdout)
    assert len(out) == 1 and matches(out[0], want), (out, want)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"ex{i}" for i in range(1, 8)])
def test_reference_examples_detected(example):
    """The same examples without --format (in-process: the CLI's own path is tested above)."""
    from vagent.actions import get_space, to_screen
    from vagent.actions.parsing import detect_format, parse

    form, screen, text, want = example
    assert detect_format(text) == form
    parsed = parse(text)
    w, h = (int(v) for v in screen.split("x"))
    (call,) = parsed.calls
    got = to_screen(get_space("gui").validate(call), parsed.frame, w, h).action.dump()
    assert matches(got, want), (got, want)


def test_exact_pixels_of_the_resized_frame(vagent_cmd, subprocess_env):
    # 1080×2400 at default pixels is resized to 1092×2408: 935 → 924.73 → 925, 406 → 404.65 → 405
    res = run(vagent_cmd, subprocess_env, EXAMPLES[0][2], "--screen", "1080x2400")
    assert json.loads(res.stdout) == [
        {"action": "click", "x": 925, "y": 405, "button": "left", "clicks": 1}]


def test_min_max_pixels_change_the_resized_frame(vagent_cmd, subprocess_env):
    # min 256·28², max 1280·28²: 2400×1080 → 1484×672, so (336, 742) is the screen's centre.
    text = '<tool_call>{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [336, 742]}}</tool_call>'
    res = run(vagent_cmd, subprocess_env, text, "--min-pixels", str(256 * 28 * 28),
              "--max-pixels", str(1280 * 28 * 28))
    assert res.returncode == 0, res.stderr.decode()
    (click,) = json.loads(res.stdout)
    assert (click["x"], click["y"]) == (540, 1200)
    # max 512·28²: 924×420, so (210, 462) is the centre too
    text2 = text.replace("[336, 742]", "[210, 462]")
    res = run(vagent_cmd, subprocess_env, text2, "--max-pixels", str(512 * 28 * 28))
    (click,) = json.loads(res.stdout)
    assert (click["x"], click["y"]) == (540, 1200)


def test_min_max_pixels_leave_box_tokens_alone(vagent_cmd, subprocess_env):
    # box tokens are [0, 1000) whatever the processor did; --max-pixels must not rescale them
    res = run(vagent_cmd, subprocess_env, EXAMPLES[3][2], "--screen", "1920x1080",
              "--max-pixels", str(512 * 28 * 28))
    (click,) = json.loads(res.stdout)
    assert (click["x"], click["y"]) == (451, 553)


def test_uitars_v15_points_are_resized_pixels(vagent_cmd, subprocess_env):
    # 1920×1080 at default pixels → 1932×1092; the centre of that is the centre of the screen
    text = "Thought: centre\nAction: click(point='<point>966 546</point>')"
    res = run(vagent_cmd, subprocess_env, text, "--screen", "1920x1080")
    (click,) = json.loads(res.stdout)
    assert (click["x"], click["y"]) == (960, 540)


def test_frame_override_and_json(vagent_cmd, subprocess_env):
    showui = "{'action': 'CLICK', 'value': None, 'position': [0.49, 0.42]}"
    res = run(vagent_cmd, subprocess_env, showui, "--format", "json", "--frame", "unit",
              "--screen", "1920x1080")
    assert res.returncode == 0, res.stderr.decode()
    (click,) = json.loads(res.stdout)
    assert (click["x"], click["y"]) == (941, 454)  # 940.8, 453.6


def test_several_calls_user_tools_and_stdin(vagent_cmd, subprocess_env):
    text = ('Weather first.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}'
            '\n</tool_call>\n<tool_call>\n{"name": "mobile_use", "arguments": {"action": "type",'
            ' "text": "it\'s \\"quoted\\" $(rm -rf /) ✓\\n"}}\n</tool_call>')
    res = run(vagent_cmd, subprocess_env, "-", stdin=text)
    assert res.returncode == 1 and b"get_weather" in res.stderr  # not an action of the space
    res = run(vagent_cmd, subprocess_env, "-", "--tool", "get_weather", stdin=text)
    assert res.returncode == 0, res.stderr.decode()
    assert json.loads(res.stdout) == [
        {"action": "get_weather", "city": "Paris"},
        {"action": "type", "text": 'it\'s "quoted" $(rm -rf /) ✓', "submit": True}]


def test_clamped_point_stays_on_screen(vagent_cmd, subprocess_env):
    text = "Action: click(start_box='<|box_start|>(1200,-40)<|box_end|>')"
    res = run(vagent_cmd, subprocess_env, text, "--screen", "720x1280")
    (click,) = json.loads(res.stdout)
    assert (click["x"], click["y"]) == (719, 0)


@pytest.mark.parametrize("text", ["just some words", "<tool_call>\nnot json\n</tool_call>",
                                  "Action: click()", "✿FUNCTION✿: \n✿ARGS✿: {}"])
def test_unparsable_text_is_one_line_exit_1(text, vagent_cmd, subprocess_env):
    res = run(vagent_cmd, subprocess_env, text)
    err = res.stderr.decode()
    assert res.returncode == 1
    assert err.startswith("vagent: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and res.stdout == b""


@pytest.mark.timeout(60)
def test_a_megabyte_of_garbage_fails_cleanly(vagent_cmd, subprocess_env):
    garbage = ("{[<tool_call>✿ARGS✿ 'x\" Action: type(content='" * 30000)[:1_000_000]
    res = run(vagent_cmd, subprocess_env, "-", "--format", "qwen25vl", stdin=garbage)
    assert res.returncode == 1 and res.stderr.decode().startswith("vagent: ")


def test_usage_errors_exit_2(vagent_cmd, subprocess_env):
    res = run(vagent_cmd, subprocess_env, "x", "--format", "nope")
    assert res.returncode == 2 and b"qwen25vl" in res.stderr  # the valid names are listed
    res = run(vagent_cmd, subprocess_env, "x", "--frame", "inches")
    assert res.returncode == 2 and b"rel1000" in res.stderr
    res = run(vagent_cmd, subprocess_env, "x", "--screen", "big")
    assert res.returncode == 2


def test_invalid_utf8_in_the_argument(vagent_cmd, subprocess_env):
    raw = (b'{"action": "type", "text": "caf\xff"}')
    res = subprocess.run([*vagent_cmd, "parse", raw, "--format", "json"], env=subprocess_env,
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    assert json.loads(res.stdout)[0]["text"] == "caf\ufffd"


@pytest.mark.parametrize(("form", "want"), [("uitars", (590, 2399)), ("uitars15", (540, 1200))])
@pytest.mark.parametrize("spelling", ["start_box='(546,1204)'", "point='<point>546 1204</point>'"])
def test_the_policy_format_decides_the_uitars_frame(form, want, spelling, vagent_cmd,
                                                    subprocess_env):
    """Once the format is known, the text's spelling does not pick the frame: UI-TARS-1.5 points
    (either spelling) are pixels of the 1092×2408 resized screen; v1's are [0, 1000) (1204 is off
    the screen's bottom, clamped)."""
    text = f"Thought: tap it\nAction: click({spelling})"
    res = run(vagent_cmd, subprocess_env, text, "--screen", "1080x2400", "--format", form)
    assert res.returncode == 0, res.stderr.decode()
    (call,) = json.loads(res.stdout)
    assert (call["x"], call["y"]) == want


def test_computer_use_pointer_actions_parse_in_the_default_space(vagent_cmd, subprocess_env):
    """A click without coordinate (at the pointer) and an end-only left_click_drag are GUI
    actions: the default space (gui) takes them; the phone's space refuses the pointer click."""
    text = ('<tool_call>{"name": "computer_use", "arguments": {"action": "right_click"}}'
            '</tool_call>\n<tool_call>{"name": "computer_use", "arguments": '
            '{"action": "left_click_drag", "coordinate": [100, 200]}}</tool_call>')
    res = run(vagent_cmd, subprocess_env, text, "--format", "qwen25vl", "--screen", "1092x2408")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [{"action": "click", "button": "right", "clicks": 1},
                                      {"action": "drag", "x2": 100, "y2": 200}]
    res = run(vagent_cmd, subprocess_env, text, "--format", "qwen25vl", "--space", "mobile")
    assert res.returncode == 1 and b"field 'x' is required" in res.stderr
