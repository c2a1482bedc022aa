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
click always carries its coordinate. The JSON grammar is written here in EBNF (``JsonEbnf``),
not by xgrammar's schema converter, so that bounded strings take JSON's escapes.

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


# A word of a task for ``task_spans``: letters and digits, with the dots, @, +, - and
# apostrophes inside it (an address, "don't", "e-mail"), never at its ends.
_WORD = re.compile(r"\w(?:[\w.@+'-]*\w)?")


def task_spans(task: str, most: int = MAX_STRING) -> list[str]:
    """Every run of whole words of ``task`` as it is written there (``"find bars in Oslo"``:
    "find", "find bars", …, "bars in Oslo", "Oslo"), at most ``most`` characters each, in order
    of first appearance and without repeats — what a ``type`` held to the task may write."""
    words = list(_WORD.finditer(task))
    spans: dict[str, None] = {}
    for i, first in enumerate(words):
        for last in words[i:]:
            if last.end() - first.start() > most:
                break
            spans[task[first.start():last.end()]] = None
    return list(spans)


def argument_schemas(parameters: dict[str, Any], point_kind: str,
                     typed: list[str] | None = None) -> list[dict[str, Any]]:
    """The objects a function's arguments may be: one per action for a GUI tool, else one.
    With ``typed``, a ``type`` action's text is one of those strings, each optionally followed
    by a newline (the submit)."""
    params = tighten(parameters, point_kind)
    props = params.get("properties", {})
    actions = props.get("action", {}).get("enum")
    if not actions:
        return [params]
    out = []
    for action in actions:
        keep = [p for p in NEEDS.get(action, ()) if p in props]
        fields = {p: props[p] for p in keep}
        if action == "type" and typed and "text" in fields:
            fields["text"] = {"enum": [t + end for t in typed for end in ("", "\n")]}
        out.append({"type": "object", "additionalProperties": False,
                    "properties": {"action": {"const": action}, **fields},
                    "required": ["action", *keep]})
    return out


# -- JSON in EBNF -----------------------------------------------------------------------------
# The policy writes the JSON grammar itself instead of handing the schema to xgrammar's
# converter: xgrammar 0.2.8 bounds a string (maxLength, or any pattern) by repeating a character
# class without escapes, so a bounded string could hold neither "\n" (the submit the bundled
# model ends its typed text with: "text": "Spotify\n") nor \" or \\. Here a bounded string
# repeats a character *or an escape*, each counting as one character of the decoded text. The
# layout is xgrammar's (and json.dumps'): ", " between items, ": " after a key.
_JSON_BASE = [
    r'json_char ::= [^"\\\0-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4,4})',
    r'box_num ::= [0-9]{1,3}',
]
# The patterns tighten() gives, as EBNF (a schema's other patterns are refused).
_PATTERNS = {_BOX: ('"\\"<|box_start|>(" box_num "," box_num ")" ("," "(" box_num "," box_num '
                    '")")? "<|box_end|>\\""')}


def _digits(lo: str, hi: str) -> str:
    """EBNF of the decimal strings from ``lo`` to ``hi`` (as many digits each)."""
    n = len(lo)
    if lo == hi:
        return _ebnf_str(lo)
    if lo[1:] == "0" * (n - 1) and hi[1:] == "9" * (n - 1):
        head = f"[{lo[0]}-{hi[0]}]"
        return head + (f" [0-9]{{{n - 1},{n - 1}}}" if n > 1 else "")
    if lo[0] == hi[0]:
        return f"{_ebnf_str(lo[0])} ({_digits(lo[1:], hi[1:])})"
    out = [f"{_ebnf_str(lo[0])} ({_digits(lo[1:], '9' * (n - 1))})"]
    if int(lo[0]) + 1 < int(hi[0]):
        out.append(_digits(str(int(lo[0]) + 1) + "0" * (n - 1),
                           str(int(hi[0]) - 1) + "9" * (n - 1)))
    out.append(f"{_ebnf_str(hi[0])} ({_digits('0' * (n - 1), hi[1:])})")
    return " | ".join(f"({o})" for o in out)


def _natural(lo: int, hi: int) -> list[str]:
    """Alternatives for the whole numbers lo..hi (0 ≤ lo ≤ hi), without leading zeros."""
    out = []
    for n in range(len(str(lo)), len(str(hi)) + 1):
        a, b = max(lo, 10 ** (n - 1) if n > 1 else 0), min(hi, 10 ** n - 1)
        if a <= b:
            out.append(_digits(str(a), str(b)))
    return out


def integer_ebnf(lo: int, hi: int) -> str:
    """EBNF of exactly the integers lo..hi in JSON (no leading zeros, no ``-0``)."""
    alts = [f"({a})" for a in _natural(max(lo, 0), hi)] if hi >= 0 else []
    if lo < 0:
        alts.append('"-" (' + " | ".join(f"({a})" for a in _natural(max(1, -hi), -lo)) + ")")
    return " | ".join(alts)


class JsonEbnf:
    """EBNF rules for the JSON values of (tightened) schemas; ``value(schema)`` gives the
    expression of one, adding the rules it needs to ``rules``."""

    def __init__(self) -> None:
        self.rules: dict[str, str] = {}  # name → body
        self._named: dict[str, str] = {}  # body → name
        self._objects = 0

    def rule(self, body: str, hint: str = "v") -> str:
        """The name of a rule with this body (one rule per distinct body)."""
        if body not in self._named:
            name = f"{hint}_{len(self.rules)}"
            self.rules[name] = body
            self._named[body] = name
        return self._named[body]

    def ebnf(self, root: str) -> str:
        return "\n".join([f"root ::= {root}", *_JSON_BASE,
                          *(f"{k} ::= {v}" for k, v in self.rules.items())])

    def value(self, schema: Any) -> str:
        s = schema if isinstance(schema, dict) else {}
        if "const" in s:
            return _ebnf_str(_json(s["const"]))
        if "enum" in s:
            return "(" + " | ".join(_ebnf_str(_json(v)) for v in s["enum"]) + ")"
        for key in ("anyOf", "oneOf"):
            if key in s:
                rest = {k: v for k, v in s.items() if k not in (key, "default")}
                return "(" + " | ".join(self.value({**rest, **v}) for v in s[key]) + ")"
        if "allOf" in s and len(s["allOf"]) == 1:
            return self.value({**{k: v for k, v in s.items() if k != "allOf"}, **s["allOf"][0]})
        kind = s.get("type")
        if isinstance(kind, list):
            return "(" + " | ".join(self.value({**s, "type": k}) for k in kind) + ")"
        if kind is None and not any(k in s for k in ("properties", "items", "$ref", "allOf")):
            kind = "scalar"  # anything: a bounded scalar
        # numbers are written as integers (tighten() makes them so; a reply's short form)
        build = {"string": self._string, "integer": self._integer, "number": self._integer,
                 "boolean": lambda s: '("true" | "false")', "null": lambda s: '"null"',
                 "array": self._array, "object": self._object,
                 "scalar": lambda s: "(" + " | ".join([self._string({}), self._integer({}),
                                                      '"true"', '"false"', '"null"']) + ")"}
        if kind not in build and "properties" in s:
            kind = "object"
        if kind not in build:
            raise ValueError(f"cannot constrain to the JSON schema {json.dumps(s)[:200]}")
        return build[kind](s)

    def _string(self, s: dict[str, Any]) -> str:
        if "pattern" in s:
            if s["pattern"] not in _PATTERNS:
                raise ValueError(f"cannot constrain a string to the pattern {s['pattern']!r}")
            return self.rule(_PATTERNS[s["pattern"]], "box")
        # A bound the schema gives is kept (a tool's arguments were already tightened to
        # MAX_STRING; an env protocol's own bound, such as RL4VLM's 160-character thoughts,
        # is the protocol's to set: cut at 48, the bundled model's NumberLine thoughts broke
        # off mid-sentence and its score fell from 78 % to 65 %).
        most = int(s.get("maxLength", MAX_STRING))
        least = min(int(s.get("minLength", 0)), most)
        return self.rule(f'"\\"" json_char{{{least},{most}}} "\\""', "str")

    def _integer(self, s: dict[str, Any]) -> str:
        lo = int(max(s.get("minimum", -MAX_NUMBER), -MAX_NUMBER))
        hi = int(min(s.get("maximum", MAX_NUMBER), MAX_NUMBER))
        if lo > hi:
            raise ValueError(f"no integer between {lo} and {hi}")
        return self.rule(integer_ebnf(lo, hi), "int")

    def _array(self, s: dict[str, Any]) -> str:
        item = self.value(s.get("items", {"type": "integer"}))
        most = min(int(s.get("maxItems", 4)), 4)
        least = min(int(s.get("minItems", 0)), most)
        if most == 0:
            return '"[]"'
        more = f'(", " {item}){{{max(least - 1, 0)},{most - 1}}}'
        body = f'"[" {item} {more} "]"'
        return self.rule(body if least else f'"[]" | ({body})', "arr")

    def _object(self, s: dict[str, Any]) -> str:
        """The properties in the schema's order: the required ones always, the others
        optional. ``rest(i, first)`` is the rule of properties i.. (``first``: none written
        yet, so no comma before the next)."""
        props = list((s.get("properties") or {}).items())
        required = set(s.get("required", ()))
        self._objects += 1
        hint = f"obj{self._objects}"
        memo: dict[tuple[int, bool], str | None] = {}

        def rest(i: int, first: bool) -> str | None:
            if i == len(props):
                return None
            if (i, first) not in memo:
                name, sub = props[i]
                after = rest(i + 1, False)
                write = ("" if first else '", " ') + _ebnf_str(_json(name) + ": ") + " " + (
                    self.value(sub)) + (" " + after if after else "")
                skip = rest(i + 1, first)
                nothing = '""'  # the empty string, in EBNF
                body = write if name in required else f"({write}) | {skip or nothing}"
                memo[i, first] = self.rule(body, f"{hint}_{i}")
            return memo[i, first]

        inner = rest(0, True)
        return '"{" ' + inner + ' "}"' if inner else '"{}"'


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def schema_ebnf(schema: dict[str, Any]) -> str:
    """An EBNF grammar (xgrammar's dialect) of the JSON values ``schema`` allows, strings
    bounded with escapes allowed."""
    j = JsonEbnf()
    return j.ebnf(j.value(schema))


def _json_calls(functions: list[dict[str, Any]], point_kind: str,
                head: Any, typed: list[str] | None = None) -> Any:
    """The union over functions (and over a GUI tool's actions) of ``head(name, value)``,
    ``value`` the EBNF of one arguments object."""
    import xgrammar as xgr

    j = JsonEbnf()
    options = [head(f["name"], j.value(schema)) for f in functions
               for schema in argument_schemas(f.get("parameters") or {"type": "object"},
                                              point_kind, typed)]
    if not options:
        raise ValueError("no function to constrain the answer to")
    return xgr.Grammar.from_ebnf(j.ebnf(" | ".join(f"({o})" for o in options)))


def qwen_agent_grammar(functions: list[dict[str, Any]], point_kind: str,
                       typed: list[str] | None = None) -> Any:
    """``✿FUNCTION✿: NAME\\n✿ARGS✿: {...}``"""

    def head(name: str, args: str) -> str:
        return _ebnf_str("✿FUNCTION✿: " + name + "\n✿ARGS✿: ") + " " + args

    return _json_calls(functions, point_kind, head, typed)


def nous_grammar(functions: list[dict[str, Any]], point_kind: str,
                 typed: list[str] | None = None) -> Any:
    """``<tool_call>\\n{"name": NAME, "arguments": {...}}\\n</tool_call>``"""

    def head(name: str, args: str) -> str:
        lead = '<tool_call>\n{"name": ' + _json(name) + ', "arguments": '
        return _ebnf_str(lead) + " " + args + " " + _ebnf_str("}\n</tool_call>")

    return _json_calls(functions, point_kind, head, typed)


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


def format_grammar(fmt: Any, space: Any, screen: tuple[int, int] | None, frame: Any,
                   typed: list[str] | None = None) -> Any:
    """The grammar of every answer ``fmt`` can parse over ``space`` (an xgrammar Grammar);
    with ``typed`` (JSON formats), a GUI tool's ``type`` writes one of those texts."""
    if fmt.parser == "uitars":
        return uitars_grammar(fmt.action_lines(space))
    point_kind = "box" if frame.kind == "rel1000" else "pixels"
    functions = fmt.functions(space, screen, frame)
    builders = {"qwen2vl": qwen_agent_grammar, "qwen25vl": nous_grammar}
    if fmt.parser not in builders:
        raise ValueError(f"no call grammar for the {fmt.parser!r} format")
    return builders[fmt.parser](functions, point_kind, typed)


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
            grammar = schema_ebnf(grammar)
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
           "qwen_agent_grammar", "task_spans", "tighten", "uitars_grammar"]
