"""Answers that always parse: decoding constrained to the format's call grammar (``--opt
constrain=true``).

The grammar is built from what the prompt shows the model — the format's functions over the
env's action space (``Format.functions``) or UI-TARS's action lines — so a constrained model can
write exactly the calls its prompt describes and nothing the parser would refuse:

- ``qwen2vl`` (Qwen-Agent): ``✿FUNCTION✿: NAME\\n✿ARGS✿: {JSON}``;
- ``qwen25vl`` (nous): ``<tool_call>\\n{"name": NAME, "arguments": {JSON}}\\n</tool_call>``;
- ``uitars``: ``Thought: TEXT\\nAction: call(key='value', ...)``, one production per action line;
- an env protocol's own answer (``Protocol.answer_grammar``), when it gives one.

Each JSON object follows its function's schema, tightened so that every answer is also short
enough to finish within the token budget: strings are bounded, numbers are small integers,
box-token points match ``<|box_start|>(x,y)<|box_end|>``, pixel points are two integers. A GUI
tool whose ``action`` is an enum (mobile_use, computer_use) becomes one object per action with
the fields that action needs (``NEEDS``, the tools' documented arguments), so a constrained
click always carries its coordinate.

xgrammar compiles the grammar against the checkpoint's tokenizer and masks the logits at every
step (a transformers logits processor); compiled grammars are kept per grammar text.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

#: The arguments each action of Qwen's mobile_use / computer_use tools needs (their documented
#: signatures); other properties of the tool are left out of that action's object.
NEEDS: dict[str, tuple[str, ...]] = {
    "click": ("coordinate",), "long_press": ("coordinate", "time"),
    "swipe": ("coordinate", "coordinate2"), "type": ("text",), "key": ("text",),
    "system_button": ("button",), "open": ("text",), "wait": ("time",),
    "terminate": ("status",), "answer": ("text",),
    "left_click": ("coordinate",), "right_click": ("coordinate",),
    "middle_click": ("coordinate",), "double_click": ("coordinate",),
    "triple_click": ("coordinate",), "mouse_move": ("coordinate",),
    "left_click_drag": ("coordinate",), "scroll": ("pixels",), "hscroll": ("pixels",),
}
#: Properties that hold a point (for a box-token or a pixel pattern).
POINT_PROPS = {"coordinate", "coordinate2", "start_coordinate", "end_coordinate", "start_box",
               "end_box", "point", "start_point", "end_point"}
MAX_STRING = 48  # characters of a free-text argument
MAX_THOUGHT = 120  # characters of a UI-TARS thought
MAX_NUMBER = 10_000

# a point, or a box (two corners), as Qwen2-VL's box tokens
_BOX = (r"<\|box_start\|>\([0-9]{1,3},[0-9]{1,3}\)(,\([0-9]{1,3},[0-9]{1,3}\))?"
        r"<\|box_end\|>")


def _ebnf_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def tighten(schema: Any, point_kind: str, name: str = "") -> Any:
    """A copy of a JSON schema whose every value is bounded (see the module's docstring)."""
    if not isinstance(schema, dict):
        return schema
    s = {k: v for k, v in schema.items() if k not in ("description", "title")}
    kind = s.get("type")
    if name in POINT_PROPS and point_kind == "box":
        return {"type": "string", "pattern": _BOX}
    if name in POINT_PROPS and point_kind == "pixels":
        return {"type": "array", "items": {"type": "integer", "minimum": 0,
                                           "maximum": MAX_NUMBER}, "minItems": 2, "maxItems": 2}
    if "enum" in s or "const" in s:
        return s
    if kind == "string":
        s["maxLength"] = min(int(s.get("maxLength", MAX_STRING)), MAX_STRING)
    elif kind in ("number", "integer"):
        lo = s.get("minimum", -MAX_NUMBER)
        hi = s.get("maximum", MAX_NUMBER)
        s = {"type": "integer", "minimum": int(max(lo, -MAX_NUMBER)),
             "maximum": int(min(hi, MAX_NUMBER))}
    elif kind == "array":
        s["items"] = tighten(s.get("items", {"type": "integer"}), point_kind)
        s["maxItems"] = min(int(s.get("maxItems", 4)), 4)
    elif kind == "object" or "properties" in s:
        s["properties"] = {k: tighten(v, point_kind, k)
                           for k, v in s.get("properties", {}).items()}
        s["additionalProperties"] = False
    for key in ("anyOf", "oneOf"):
        if key in s:
            s[key] = [tighten(v, point_kind, name) for v in s[key]]
    return s


def argument_schemas(parameters: dict[str, Any], point_kind: str) -> list[dict[str, Any]]:
    """The objects a function's arguments may be: one per action for a GUI tool, else one."""
    params = tighten(parameters, point_kind)
    props = params.get("properties", {})
    actions = props.get("action", {}).get("enum")
    if not actions:
        return [params]
    out = []
    for action in actions:
        keep = [p for p in NEEDS.get(action, ()) if p in props]
        out.append({"type": "object", "additionalProperties": False,
                    "properties": {"action": {"const": action}, **{p: props[p] for p in keep}},
                    "required": ["action", *keep]})
    return out


def _json_calls(functions: list[dict[str, Any]], point_kind: str, head: Any) -> Any:
    """The union over functions (and over a GUI tool's actions) of ``head(name, schema)``."""
    import xgrammar as xgr

    options = [head(f["name"], schema) for f in functions
               for schema in argument_schemas(f.get("parameters") or {"type": "object"},
                                              point_kind)]
    if not options:
        raise ValueError("no function to constrain the answer to")
    return options[0] if len(options) == 1 else xgr.Grammar.union(*options)


def _schema_grammar(schema: dict[str, Any]) -> Any:
    import xgrammar as xgr

    return xgr.Grammar.from_json_schema(schema, any_whitespace=False, strict_mode=True)


def qwen_agent_grammar(functions: list[dict[str, Any]], point_kind: str) -> Any:
    """``✿FUNCTION✿: NAME\\n✿ARGS✿: {...}``"""
    import xgrammar as xgr

    def head(name: str, schema: dict[str, Any]) -> Any:
        lead = xgr.Grammar.from_ebnf(f"root ::= {_ebnf_str(f'✿FUNCTION✿: {name}' + chr(10) + '✿ARGS✿: ')}")
        return xgr.Grammar.concat(lead, _schema_grammar(schema))

    return _json_calls(functions, point_kind, head)


def nous_grammar(functions: list[dict[str, Any]], point_kind: str) -> Any:
    """``<tool_call>\\n{"name": NAME, "arguments": {...}}\\n</tool_call>``"""
    import xgrammar as xgr

    def head(name: str, schema: dict[str, Any]) -> Any:
        whole = {"type": "object", "additionalProperties": False,
                 "properties": {"name": {"const": name}, "arguments": schema},
                 "required": ["name", "arguments"]}
        return xgr.Grammar.concat(xgr.Grammar.from_ebnf('root ::= "<tool_call>\\n"'),
                                  _schema_grammar(whole),
                                  xgr.Grammar.from_ebnf('root ::= "\\n</tool_call>"'))

    return _json_calls(functions, point_kind, head)


# One keyword argument of a UI-TARS action line: key='<|box_start|>(x1,y1)<|box_end|>',
# key='<point>x1 y1</point>', key='a or b' (one of the words) or key='' (free text).
_UITARS_ARG = re.compile(r"(\w+)='([^']*)'")
_UITARS_VALUE = {
    "box": '"\'<|box_start|>(" num "," num ")<|box_end|>\'"',
    "point": '"\'<point>" pixels " " pixels "</point>\'"',
    "text": "quoted",
}


def _uitars_call(template: str) -> str:
    """The EBNF of the calls one action line allows: its points required, its text arguments
    optional (UI-TARS leaves out empty ones: ``finished()``), in the line's order."""
    name = template.split("(", 1)[0].strip()
    required, args = [], []
    for key, value in _UITARS_ARG.findall(template):
        if value.startswith("<|box_start|>"):
            kind = "box"
        elif value.startswith("<point>"):
            kind = "point"
        else:
            kind = "text"
        rule = _ebnf_str(f"{key}=") + " " + (
            '"\'" (' + " | ".join(_ebnf_str(w) for w in value.split(" or ")) + ') "\'"'
            if " or " in value else _UITARS_VALUE[kind])
        args.append(rule)
        required.append(kind != "text")
    options = []
    for mask in range(2 ** len(args)):
        keep = [a for i, a in enumerate(args) if required[i] or mask >> i & 1]
        body = ' ", " '.join(keep)
        options.append(f'{_ebnf_str(name + "(")} {body} ")"' if body else
                       _ebnf_str(name + "()"))
    return " | ".join(f"({o})" for o in dict.fromkeys(options))


def uitars_grammar(lines: list[str]) -> Any:
    """``Thought: ...\nAction: CALL`` where CALL follows one of the prompt's action lines."""
    import xgrammar as xgr

    calls = [_uitars_call(line.split("  #", 1)[0].strip()) for line in lines]
    ebnf = "\n".join([
        'root ::= "Thought: " thought "\\nAction: " call',
        f"thought ::= [^\\n]{{0,{MAX_THOUGHT}}}",
        "call ::= " + " | ".join(calls),
        "num ::= [0-9] | [1-9] [0-9] | [1-9] [0-9] [0-9]",  # [0, 1000)
        "pixels ::= [0-9] | [1-9] [0-9]{1,3}",
        f"quoted ::= \"'\" ([^'\\\\\\n] | \"\\\\\" [nt'\\\\]){{0,{MAX_STRING}}} \"'\"",
    ])
    return xgr.Grammar.from_ebnf(ebnf)


def format_grammar(fmt: Any, space: Any, screen: tuple[int, int] | None, frame: Any) -> Any:
    """The grammar of every answer ``fmt`` can parse over ``space`` (an xgrammar Grammar)."""
    if fmt.parser == "uitars":
        return uitars_grammar(fmt.action_lines(space))
    point_kind = "box" if frame.kind == "rel1000" else "pixels"
    functions = fmt.functions(space, screen, frame)
    builders = {"qwen2vl": qwen_agent_grammar, "qwen25vl": nous_grammar}
    if fmt.parser not in builders:
        raise ValueError(f"no call grammar for the {fmt.parser!r} format")
    return builders[fmt.parser](functions, point_kind)


class Constrainer:
    """Compiles grammars for one tokenizer (kept per grammar text) and makes the logits
    processors that hold a batch's rows to them."""

    def __init__(self, tokenizer: Any, vocab_size: int, stop_ids: list[int]):
        import xgrammar as xgr

        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size,
                                                  stop_token_ids=stop_ids)
        self._compiler = xgr.GrammarCompiler(info)
        self._compiled: dict[str, Any] = {}
        self._lock = threading.Lock()

    def compile(self, grammar: Any) -> Any:
        """A grammar (xgrammar Grammar, EBNF text or a JSON schema) compiled for this
        tokenizer."""
        import xgrammar as xgr

        if isinstance(grammar, dict):  # a JSON schema
            grammar = _schema_grammar(grammar)
        key = str(grammar)
        with self._lock:
            if key not in self._compiled:
                if len(self._compiled) > 64:
                    self._compiled.clear()
                g = grammar if isinstance(grammar, xgr.Grammar) else xgr.Grammar.from_ebnf(key)
                self._compiled[key] = self._compiler.compile_grammar(g)
            return self._compiled[key]

    def processor(self, compiled: list[Any]) -> Any:
        """A fresh logits processor for one ``generate`` over rows with these grammars."""
        from xgrammar.contrib.hf import LogitsProcessor

        return LogitsProcessor(compiled)


__all__ = ["NEEDS", "Constrainer", "argument_schemas", "format_grammar", "nous_grammar",
           "qwen_agent_grammar", "tighten", "uitars_grammar"]
