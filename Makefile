# Each target sets up .venv when it is missing, so a fresh clone needs only `make demo` or
# `make test`. torch comes first and pinned: on this kind of machine those wheels lie on disk.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.14.1 torchvision==0.29.1

.PHONY: demo test setup clean train-tiny

$(BIN)/vagent: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/python -c "import torch, torchvision" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev]"
	touch $(BIN)/vagent

setup: $(BIN)/vagent

# The bundled model drives the simulated phone (both in-process, CPU only).
demo: setup
	$(BIN)/vagent run "find restaurants in San Diego" --out runs/demo

# Reproduces the bundled tiny model (policies/bundled/tiny-qwen2vl): oracle runs on the simulated
# phone's training tasks (data seed 0), exported as the tiny policy prompts, a base checkpoint
# with a tokenizer trained on that text, SFT on the CPU. A killed run resumes from its checkpoint.
TINY := build/tiny
TINY_EPISODES ?= 700
TINY_STEPS ?= 800
train-tiny: setup
	$(BIN)/vagent data generate phone-sim --episodes $(TINY_EPISODES) --seed 0 --out $(TINY)/runs
	$(BIN)/vagent data export $(TINY)/runs --out $(TINY)/train.jsonl --keep-images 1 \
		--min-pixels 3136 --max-pixels 106624
	test -f $(TINY)/base/config.json || \
		$(BIN)/python -m policies.bundled base --data $(TINY)/train.jsonl --out $(TINY)/base
	$(BIN)/vagent train sft --data $(TINY)/train.jsonl --model $(TINY)/base --out $(TINY)/sft \
		--epochs 2 --lr 1e-3 --batch-size 8 --max-steps $(TINY_STEPS) --save-every 50 --resume
	$(BIN)/python -m policies.bundled install $(TINY)/sft

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
