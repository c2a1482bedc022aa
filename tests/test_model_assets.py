"""The test assets themselves: tiny checkpoints load like hub checkpoints; the scripted server
speaks the OpenAI wire format and injects the errors it promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openai
import pytest
from openai import OpenAI

from vagent.policies.scripted_server import Reply


@pytest.mark.parametrize("fixture,model_type,cls", [
    ("tiny_qwen2vl", "qwen2_vl", "Qwen2VLForConditionalGeneration"),
    ("tiny_qwen25vl", "qwen2_5_vl", "Qwen2_5_VLForConditionalGeneration"),
])
def test_tiny_checkpoint_loads_through_auto_classes(fixture: str, model_type: str, cls: str,
                                                     request: pytest.FixtureRequest) -> None:
    from PIL import Image
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    path: Path = request.getfixturevalue(fixture)
    config = AutoConfig.from_pretrained(path)
    assert config.model_type == model_type
    proc = AutoProcessor.from_pretrained(path)
    tok = proc.tokenizer
    assert type(tok).__name__ == "Qwen2Tokenizer"
    # The real special tokens, each one token, and the ids the model config points at.
    for t in ("<|im_start|>", "<|im_end|>", "<|box_start|>", "<|box_end|>", "<|image_pad|>",
              "<|vision_start|>", "<|vision_end|>", "<|object_ref_start|>"):
        assert len(tok(t, add_special_tokens=False)["input_ids"]) == 1, t
    assert config.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert config.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    if model_type == "qwen2_5_vl":
        assert len(tok("<tool_call>", add_special_tokens=False)["input_ids"]) == 1
    # Any text round-trips (byte-level BPE), nasty characters included.
    nasty = "héllo ✿FUNCTION✿ 中文 \t\n 'quotes' \"dq\" {json: [1,2]} 🙂"
    assert tok.decode(tok(nasty)["input_ids"]) == nasty

    model = AutoModelForImageTextToText.from_pretrained(path)
    assert type(model).__name__ == cls
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]}]
    text = proc.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
    assert text.endswith("<|vision_end|>hi<|im_end|>\n<|im_start|>assistant\n")
    image = Image.fromarray(np.full((100, 150, 3), 128, np.uint8))
    inputs = proc(text=[text], images=[image], return_tensors="pt")
    t, h, w = inputs["image_grid_thw"][0].tolist()
    assert (inputs["input_ids"] == config.image_token_id).sum().item() == t * h * w // 4
    out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert out.shape[1] <= inputs["input_ids"].shape[1] + 4


def test_tiny_builder_is_deterministic(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    from vagent.policies.tiny import build_tiny_checkpoint

    a = build_tiny_checkpoint(tmp_path / "a", "qwen2vl", seed=3, vocab_size=400)
    b = build_tiny_checkpoint(tmp_path / "b", "qwen2vl", seed=3, vocab_size=400)
    assert (a / "tokenizer.json").read_text() == (b / "tokenizer.json").read_text()
    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)
    settings = json.loads((a / "vagent_tiny.json").read_text())
    assert settings["seed"] == 3 and settings["vocab_size"] == 400
    with pytest.raises(ValueError, match="family"):
        build_tiny_checkpoint(tmp_path / "c", "llava")  # type: ignore[arg-type]


def test_scripted_server_replies_and_errors(openai_server) -> None:  # noqa: ANN001
    server = openai_server([
        "plain text",
        Reply.calls({"name": "click", "arguments": {"x": 1, "y": 2}}),
        Reply.error(500),
        Reply.error(429, retry_after=0),
        Reply.malformed(),
        Reply.dropped(),
        Reply.timeout(1.5),
        Reply.empty(),
    ], api_key="sk-test")
    client = OpenAI(base_url=server.url, api_key="sk-test", max_retries=0, timeout=0.5)

    def ask():  # noqa: ANN202
        return client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}])

    assert ask().choices[0].message.content == "plain text"
    call = ask().choices[0].message.tool_calls[0]
    assert call.function.name == "click" and json.loads(call.function.arguments) == {"x": 1, "y": 2}
    with pytest.raises(openai.InternalServerError):
        ask()
    with pytest.raises(openai.RateLimitError) as e:
        ask()
    assert e.value.response.headers["Retry-After"] == "0"
    with pytest.raises(ValueError):  # the client cannot decode the body
        ask()
    with pytest.raises(openai.APIConnectionError):
        ask()
    with pytest.raises(openai.APITimeoutError):
        ask()
    assert ask().choices[0].message.content is None
    with pytest.raises(openai.AuthenticationError):
        OpenAI(base_url=server.url, api_key="wrong", max_retries=0).chat.completions.create(
            model="m", messages=[])
    with pytest.raises(openai.BadRequestError, match="no scripted reply left"):
        ask()
    assert len(server.completions) == 10
    assert server.completions[0].headers["authorization"] == "Bearer sk-test"
    assert server.completions[0].messages == [{"role": "user", "content": "x"}]
