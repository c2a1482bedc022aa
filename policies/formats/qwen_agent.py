"""The Qwen formats, laid out by Qwen-Agent itself: ``qwen2vl`` (its ✿FUNCTION✿ prompt, the one
Qwen2-VL's function calling was trained with) and ``qwen25vl`` (its nous ``<tool_call>`` prompt,
the Qwen2.5-VL cookbooks' `mobile_use` / `computer_use` agents).

An episode becomes a conversation in Qwen-Agent's message schema, as a Qwen-Agent
function-calling agent holds it after its own replies were parsed:

    user        the task, the first screenshot shown
    per step    assistant: the thought (when the model wrote one)
                assistant: each call, as a function_call (GUI actions through the GUI tool)
                function:  each call's result — a tool's text; the last call's carries the next
                           screenshot (an image when shown)
                (a step without a usable call: assistant: what the model wrote;
                 user: why it failed, the next screenshot)
    user        what the environment reports, the feedback on a failed answer (when any)

Qwen-Agent (``formats.reference.qwen_agent_sent``) turns that into the text it would send: the
tool prompt (English or Chinese, by the messages' language) after the system message, results
inside the assistant turn with ✿RESULT✿ / ✿RETURN✿ (or ``<tool_response>`` user turns for
nous), its "(Uploaded ![image](step_003.png))" notes, and the continuation of a final assistant
turn. Nothing of that text is written here.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from vagent.actions import Frame

from vagent.policies import texts as P
from .base import Format, covers, dumps, gui_kind
from .reference import qwen_agent_sent

if TYPE_CHECKING:
    from vagent.actions.space import ActionSpace
    from vagent.policies.history import Episode, Message


class QwenAgentFormat(Format):
    """A format whose conversation Qwen-Agent renders (``fncall``: its prompt type)."""

    layout = "turns"
    fncall = "qwen"

    def system(self, task: str, space: ActionSpace, screen: tuple[int, int] | None,
               frame: Frame) -> str:
        """The system text alone (tool block included), for display: Qwen-Agent's rendering
        of a one-message conversation."""
        sent = qwen_agent_sent([{"role": "user", "content": [{"text": task}]}],
                               self.functions(space, screen, frame), self.fncall)
        return "".join(item.get("text", "") for item in sent[0]["content"])

    # -- past calls ----------------------------------------------------------------------------
    def split_calls(self, raw: str) -> tuple[str, list[tuple[str, str]]]:
        raise NotImplementedError

    def calls_of(self, view: Any, frame: Frame, space: ActionSpace
                 ) -> list[tuple[dict[str, Any], str, str]]:
        """Each call of a past step as (project call, function name, arguments JSON), written
        by ``actions.parsing.render`` in this format."""
        from vagent.actions.parsing import render

        kind = gui_kind(space)
        tool = P.MOBILE_TOOL if kind == "mobile" else P.COMPUTER_TOOL if kind else None
        covered = covers(kind)
        out = []
        for call in view.calls:
            own = [(str(call.get("action")),
                    dumps({k: v for k, v in call.items() if k != "action"}))]
            if call.get("action") not in covered:
                # a function of its own in the prompt (a tool, or an action the GUI tool
                # lacks, such as a phone's scroll): called under its own name
                pairs = own
            else:
                try:
                    _, pairs = self.split_calls(render(call, self.parser, frame=frame,
                                                       tool=tool))
                except Exception:  # noqa: BLE001 — a call the format cannot write
                    pairs = own
            out.extend((call, name, args) for name, args in pairs)
        return out

    # -- the conversation ----------------------------------------------------------------------
    def qwen_agent_messages(self, ep: Episode) -> list[dict[str, Any]]:
        """The episode in Qwen-Agent's message schema (images named as in the run folder)."""
        from vagent.policies.history import image_name

        def screen(n: int, texts: list[str]) -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = [{"text": t} for t in texts if t]
            if n in ep.images:
                items.append({"image": image_name(n)})
            return items

        msgs: list[dict[str, Any]] = []
        if ep.system is not None:
            msgs.append({"role": "system", "content": [{"text": ep.system}]})
        numbers = [v.step for v in ep.steps] + [ep.step]
        now = [ep.obs_text] if ep.obs_text else []
        msgs.append({"role": "user", "content": [{"text": ep.task}] + screen(
            numbers[0], now if len(numbers) == 1 else [])})
        for i, view in enumerate(ep.steps):
            nxt = numbers[i + 1]
            texts = now if nxt == ep.step else []
            calls = [] if view.error else self.calls_of(view, ep.frame, ep.space)
            if not calls:
                msgs.append({"role": "assistant",
                             "content": [{"text": view.raw or "(no output)"}]})
                msgs.append({"role": "user", "content": screen(nxt, [P.STEP_ERROR.format(
                    error=view.error or "no action")] + texts)})
                continue
            if view.thought:
                msgs.append({"role": "assistant", "content": [{"text": view.thought}]})
            results = list(view.tool_results)
            for j, (call, name, args) in enumerate(calls):
                msgs.append({"role": "assistant", "content": [],
                             "function_call": {"name": name, "arguments": args}})
                out = []
                if results and results[0].get("name") == call.get("action"):
                    out.append(str(results.pop(0).get("result", "")))
                if j == len(calls) - 1:  # (results no call asked for are not lost either)
                    out += [str(r.get("result", "")) for r in results]
                    content = screen(nxt, out + texts)
                else:
                    content = [{"text": t} for t in out]
                msgs.append({"role": "function", "name": name, "content": content})
        if ep.feedback:
            msgs.append({"role": "user", "content": [{"text": P.FEEDBACK.format(
                error=ep.feedback)}]})
        return msgs

    def functions_of(self, ep: Episode) -> list[dict[str, Any]]:
        """``functions`` for the episode's space, kept while the space and frame stay (the
        budget fitting renders an episode several times; JSON schemas take ~10 ms each)."""
        key = (id(ep.space), ep.space, ep.screen, ep.frame)
        cached = self.__dict__.get("_functions")
        if cached is None or cached[0][0] != key[0] or cached[0][1:] != key[1:]:
            cached = (key, self.functions(ep.space, ep.screen, ep.frame))
            self.__dict__["_functions"] = cached
        return cached[1]

    def conversation(self, ep: Episode) -> list[Message]:
        from vagent.policies.history import Message, image_name

        sent = qwen_agent_sent(self.qwen_agent_messages(ep), self.functions_of(ep), self.fncall)
        by_name = {image_name(n): part for n, part in ep.images.items()}
        out = []
        for m in sent:
            parts: list[Any] = []
            for item in m["content"]:
                if "image" in item:
                    parts.append(by_name[item["image"]])
                elif item.get("text"):
                    # adjacent texts are one string (the chat template joins them anyway)
                    if parts and isinstance(parts[-1], str):
                        parts[-1] += item["text"]
                    else:
                        parts.append(item["text"])
            out.append(Message(m["role"], parts))
        return out

    def describe(self) -> dict[str, Any]:
        from .reference import versions

        return {**super().describe(), "reference": {"qwen-agent": versions()["qwen-agent"],
                                                    "fncall": self.fncall}}


class Qwen2VLFormat(QwenAgentFormat):
    """Qwen-Agent's ✿FUNCTION✿ / ✿ARGS✿ prompt; positions as box tokens in [0, 1000)."""

    name = "qwen2vl"
    parser = "qwen2vl"
    frame_kind = "rel1000"
    fncall = "qwen"
    stop = ("✿RESULT✿", "✿RETURN✿")
    result_role = "assistant"

    def call_text(self, name: str, arguments: dict[str, Any] | str) -> str:
        args = arguments if isinstance(arguments, str) else dumps(arguments)
        return f"✿FUNCTION✿: {name}\n✿ARGS✿: {args}"

    def split_calls(self, raw: str) -> tuple[str, list[tuple[str, str]]]:
        """The inverse of ``call_text`` over text this project wrote; not a model-output
        parser."""
        head, *rest = raw.split("✿FUNCTION✿: ")
        calls = []
        for chunk in rest:
            name, _, args = chunk.partition("\n✿ARGS✿: ")
            calls.append((name.strip(), args.strip()))
        return head.strip(), calls


class Qwen25VLFormat(QwenAgentFormat):
    """Qwen-Agent's nous ``<tool_call>`` prompt; pixels of the resized image."""

    name = "qwen25vl"
    parser = "qwen25vl"
    frame_kind = "resized"
    fncall = "nous"

    def call_text(self, name: str, arguments: dict[str, Any] | str) -> str:
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                body = f'{{"name": {dumps(name)}, "arguments": {arguments}}}'
                return f"<tool_call>\n{body}\n</tool_call>"
        return f"<tool_call>\n{dumps({'name': name, 'arguments': arguments})}\n</tool_call>"

    _BLOCK = re.compile(r"<tool_call>\n(.*?)\n</tool_call>", re.S)

    def split_calls(self, raw: str) -> tuple[str, list[tuple[str, str]]]:
        calls = []
        for block in self._BLOCK.findall(raw):
            try:
                obj = json.loads(block)
                calls.append((str(obj["name"]), dumps(obj.get("arguments", {}))))
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        return raw.split("<tool_call>", 1)[0].strip(), calls


__all__ = ["QwenAgentFormat", "Qwen25VLFormat", "Qwen2VLFormat"]
