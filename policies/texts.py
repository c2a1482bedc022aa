"""The prompt texts the project writes itself, in one place, to be read and reviewed as text.

The models' trained prompts are not here: ``qwen2vl`` / ``qwen25vl`` are rendered by Qwen-Agent
and ``uitars`` / ``uitars15`` come from the ui-tars package (``formats.reference``). What is here:
the GUI tools' descriptions, the notes the reference layouts have no place for (a failed step, a
tool result for UI-TARS, feedback, the environment's text), and the ``vagent-tiny`` layout the
bundled model was trained on. Placeholders are ``str.format`` fields; golden files under
``tests/golden`` show each rendered prompt.
"""

from __future__ import annotations

# -- shared --------------------------------------------------------------------------------------

#: The system message's first line for the Qwen formats (what the chat templates default to).
ASSISTANT = "You are a helpful assistant."

#: The first user turn: the task. Older steps follow it as one line each.
TASK = "The user's task: {task}"
EARLIER_STEPS = "Steps taken so far (oldest first):"
STEP_LINE = "Step {n}: {text}"
OMITTED_STEPS = "({count} earlier steps are not shown.)"
NO_ACTION = "(no action: {error})"

#: The user turn that carries a screenshot.
#: The label before a screenshot; the same whether the step is current or past, so that a step's
#: turn never changes once written (the prompt grows append-only; see agent/history.py).
SCREEN = "Step {n} screen:"
SCREEN_TEXT = "What the environment reports: {text}"
NEXT = "Decide the next action for the task: {task}"
FEEDBACK = ("Your previous answer could not be used ({error}). Answer again, in the required "
            "format.")
STEP_ERROR = "That step failed: {error}"

# -- GUI tools (shared by the Qwen2-VL and Qwen2.5-VL formats) -----------------------------------

MOBILE_TOOL = "mobile_use"
COMPUTER_TOOL = "computer_use"

MOBILE_DESCRIPTION = (
    "Operate an Android phone by touching its screen and pressing its buttons. {frame_note} "
    "Tap the centre of an element, not its edge. To see more of a list, swipe. "
    "When the task is done (or cannot be done), call terminate with a status."
)
COMPUTER_DESCRIPTION = (
    "Use a mouse and keyboard to operate a computer desktop. {frame_note} "
    "Click the centre of an element. Keys are xdotool-style names (enter, ctrl, alt, "
    "shift, tab, backspace, a, F5). "
    "When the task is done (or cannot be done), call terminate with a status."
)

#: How each format states its coordinate frame inside the tool description.
FRAME_NOTES = {
    "resized": ("The screen's resolution is {width}x{height}: coordinates are pixels of this "
                "image, x to the right and y down."),
    "rel1000": ("Give positions with box tokens: <|box_start|>(x1,y1),(x2,y2)<|box_end|> for a "
                "region or <|box_start|>(x,y)<|box_end|> for a point, each value an integer in "
                "[0, 1000) relative to the image width (x) and height (y); you may name the "
                "element first with <|object_ref_start|>name<|object_ref_end|>."),
}

#: What each GUI tool action does (the ``action`` parameter's description lists these).
MOBILE_ACTIONS = {
    "click": "tap a point",
    "long_press": "touch and hold a point for `time` seconds",
    "swipe": "move a finger from `{p1}` to `{p2}`",
    "type": "type `text` into the focused field",
    "key": "press the key named in `text`",
    "system_button": "press a system button (`button`: Back, Home, Menu, Enter)",
    "open": "open the app named in `text`",
    "wait": "wait `time` seconds for the screen to settle",
    "terminate": "end the task with `status` success or failure",
}
COMPUTER_ACTIONS = {
    "left_click": "click the left mouse button at a point (without `{p1}`: where the pointer is)",
    "right_click": "click the right mouse button at a point (without `{p1}`: where the pointer is)",
    "middle_click": "click the middle mouse button at a point (without `{p1}`: where the pointer "
                    "is)",
    "double_click": "double-click the left mouse button at a point (without `{p1}`: where the "
                    "pointer is)",
    "mouse_move": "move the pointer to a point",
    "left_click_drag": "press the left button where the pointer is, drag to `{p1}`, release "
                       "(move the pointer to the start first)",
    "scroll": "turn the mouse wheel at a point: positive `pixels` scroll up, negative down",
    "type": "type `text` into the focused field",
    "key": "press the keys in `keys` together (one key, or a chord like [\"ctrl\", \"c\"])",
    "wait": "wait `time` seconds for the screen to settle",
    "terminate": "end the task with `status` success or failure",
}

PARAM_TEXT = "Text to type, the key to press, or the app to open."
PARAM_KEYS = "Keys pressed together, e.g. [\"ctrl\", \"c\"]."
PARAM_TIME = "Seconds to hold (long_press) or to wait (wait)."
PARAM_PIXELS = "Scroll amount: positive scrolls up, negative scrolls down."
PARAM_BUTTON = "The system button to press."
PARAM_STATUS = "Whether the task succeeded."
PARAM_ANSWER = "The answer, when the task asks a question."
PARAM_POINT_RESIZED = "[x, y]: the point to act on (for swipe and drag: the start)."
PARAM_POINT2_RESIZED = "[x, y]: where a swipe or drag ends."
PARAM_POINT_BOX = "The element to act on, as box tokens (for swipe and drag: the start)."
PARAM_POINT2_BOX = "Where a swipe or drag ends, as box tokens."
# computer_use's one point (Qwen2.5-VL's cookbook: left_click_drag's coordinate is where it ends)
PARAM_POINT_COMPUTER_RESIZED = "[x, y]: the point to act on (for left_click_drag: the end)."
PARAM_POINT_COMPUTER_BOX = ("The element to act on, as box tokens (for left_click_drag: the "
                            "end).")

# -- vagent-tiny: the project's own ✿FUNCTION✿ layout (the bundled model's; frozen) -------------

QWEN_AGENT_TOOLS = """# Tools

## You can use these tools:

{tools}

## To call a tool, write these two lines in your reply (as often as you need):

✿FUNCTION✿: the tool's name, one of [{names}]
✿ARGS✿: the tool's arguments as a JSON object
✿RESULT✿: the tool's result (written for you, not by you)
✿RETURN✿: your reply once you have the results"""

QWEN_AGENT_TOOL = """### {human_name}

{name}: {description} Parameters: {parameters} Format the arguments as a JSON object."""

QWEN_AGENT_RESULT = "✿RESULT✿: {result}"

# -- what the reference layouts have no place for (see docs/models-and-formats.md) ----------

UITARS_RESULT = "Result of {name}: {result}"
