"""``vagent train words-apart``: a tokenizer that cuts a word the same way after a space as
after the JSON quote of a ``type`` answer, so that copying a task's value is copying tokens.

Checked on a tiny checkpoint's tokenizer, whose merges do join spaces to words: the property
fails before the change. (The bundled model still has round 3's cut: see its model card.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagent.training.bundled import words_apart

# Words as the phone tasks' pools compose them: letters, capitalised or not, also made-up.
WORDS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                min_size=1, max_size=14)
COMMON = ["the", "in", "to", "for", "restaurants", "hotels", "San", "Diego", "task", "mobile"]


def _tokens(tok, text: str) -> list[str]:
    return tok.convert_ids_to_tokens(tok(text, add_special_tokens=False)["input_ids"])


def _value_in_task(tok, value: str) -> list[str]:
    """The value's tokens as the task shows it (after 'find ')."""
    toks = _tokens(tok, f"find {value}")
    return toks[len(_tokens(tok, "find")):]


def _value_in_answer(tok, value: str) -> list[str]:
    """The value's tokens as the model writes it in a ``type`` answer."""
    head = _tokens(tok, '{"action": "type", "text":')
    toks = _tokens(tok, json.dumps({"action": "type", "text": value}))
    assert toks[:len(head)] == head
    tail = len(_tokens(tok, '"}'))
    return toks[len(head) + 1:-tail]  # after the opening ' "' and before the closing '"}'


def _same_cut(tok, value: str) -> bool:
    space = _tokens(tok, " ")
    return _value_in_task(tok, value) == space + _value_in_answer(tok, value)


@pytest.fixture(scope="module")
def apart(tiny_qwen2vl: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("apart") / "ckpt"
    counts = words_apart(tiny_qwen2vl, out)
    assert counts["dropped"] > 0 and counts["kept"] + counts["dropped"] == counts["merges"]
    return out


def test_the_original_tokenizer_cuts_words_differently_after_a_space(tiny_qwen2vl: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_qwen2vl)
    assert not all(_same_cut(tok, w) for w in COMMON)


def test_words_apart_keeps_the_vocabulary_and_the_weights(tiny_qwen2vl: Path, apart: Path) -> None:
    from transformers import AutoTokenizer

    before, after = (AutoTokenizer.from_pretrained(p) for p in (tiny_qwen2vl, apart))
    assert before.get_vocab() == after.get_vocab()
    assert (apart / "model.safetensors").read_bytes() == \
        (tiny_qwen2vl / "model.safetensors").read_bytes()
    # text without a space before a letter is cut as before (the call format is untouched)
    call = '✿FUNCTION✿:\n{"action":"click","coordinate":"<|box_start|>(500,71)<|box_end|>"}'
    assert _tokens(before, call) == _tokens(after, call)
    assert after.decode(after(" Zorvania in Port Velandford")["input_ids"]) == \
        " Zorvania in Port Velandford"


@settings(max_examples=150, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=4))
def test_a_value_is_the_same_tokens_in_the_task_and_in_the_answer(apart: Path,
                                                                    words: list[str]) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(apart)
    assert _same_cut(tok, " ".join(words))


def test_words_apart_refuses_a_folder_without_a_tokenizer(tmp_path: Path,
                                                          vagent_cmd: list[str]) -> None:
    r = subprocess.run([*vagent_cmd, "train", "words-apart", str(tmp_path), "--out",
                        str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "no tokenizer.json" in r.stderr
    assert not (tmp_path / "out").exists()
