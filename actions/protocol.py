"""Protocols: a benchmark's own way of asking a model and reading its answer.

A model policy normally renders its prompt format (the action space as tools) and parses with
that format's parser. An env that must be evaluated under a paper's protocol (RL4VLM's card-game
prompts and text-to-action projection, MapGPT-style lettered options for VLN, ...) exposes a
``protocol`` attribute; the agent passes it in the Context and model policies then use its
prompt and parser instead. The protocol knows nothing of models: it gives message content and
reads text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from vagent.actions.parsing import Parsed

    from vagent.actions.context import Context

#: One part of a user message: text, or an RGB image (H×W×3 uint8).
Part = str | np.ndarray


class Protocol(ABC):
    """Prompt and parser of a benchmark's protocol."""

    name: str = "protocol"
    #: A system message, or None for none.
    system: str | None = None

    @abstractmethod
    def prompt(self, context: Context) -> list[Part]:
        """The user message for this step: text and images in order."""

    @abstractmethod
    def parse(self, text: str) -> Parsed:
        """The calls in the model's answer (or raise actions.ParseError)."""

    def answer_grammar(self) -> str | dict[str, Any] | None:
        """The answers ``parse`` reads, for constrained decoding (``--opt constrain=true``): a
        JSON schema (dict) or an EBNF grammar (text, xgrammar's dialect). None: decoding stays
        free."""
        return None

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}
