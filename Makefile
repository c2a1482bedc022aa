# Each target sets up .venv when it is missing, so a fresh clone needs only `make demo` or
# `make test`. torch comes first and pinned: on this kind of machine those wheels lie on disk.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.14.1 torchvision==0.29.1

.PHONY: demo test setup clean train-tiny

$(BIN)/vagent: pyproject.toml setup.py vagent-gymnasium.pth
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/python -c "import torch, torchvision" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev]"
	touch $(BIN)/vagent

setup: $(BIN)/vagent

# The bundled model drives the simulated phone (both in-process, CPU only).
demo: setup
	$(BIN)/vagent run "find restaurants in San Diego" --out runs/demo

# Reproduces the bundled tiny model (policies/bundled/tiny-qwen2vl; settings in training/bundled.py): oracle runs on the simulated
# phone's training tasks and on NumberLine (data seed 0), exported as the tiny policy prompts; a
# base checkpoint with a tokenizer trained on that text; SFT on the CPU in two rounds, the second
# from the first's weights with a fresh, lower schedule and the NumberLine samples three times
# (copying the task's words and reading the digits come late); then installed into the package.
# The data is the same on every run; a killed training resumes from its newest checkpoint.
TINY := build/tiny
TINY_PHONE ?= 1200
TINY_NUMBERLINE ?= 300
TINY_STEPS ?= 2000
TINY_RUNS := $(TINY)/runs/phone $(TINY)/runs/numberline
train-tiny: setup
	$(BIN)/vagent data generate phone-sim --episodes $(TINY_PHONE) --seed 0 --out $(TINY)/runs/phone
	$(BIN)/vagent data generate numberline --episodes $(TINY_NUMBERLINE) --seed 0 \
		--out $(TINY)/runs/numberline
	$(BIN)/vagent data export $(TINY_RUNS) --preset tiny --out $(TINY)/train.jsonl
	$(BIN)/vagent data export $(TINY_RUNS) --preset tiny --out $(TINY)/mix.jsonl \
		--repeat numberline=3
	test -f $(TINY)/base/config.json || \
		$(BIN)/vagent train tiny-base --data $(TINY)/train.jsonl --out $(TINY)/base
	$(BIN)/vagent train sft --data $(TINY)/train.jsonl --model $(TINY)/base --out $(TINY)/sft \
		--epochs 100 --lr 1e-3 --batch-size 8 --max-steps $(TINY_STEPS) --save-every 100 --resume
	$(BIN)/vagent train sft --data $(TINY)/mix.jsonl --model $(TINY)/sft --out $(TINY)/sft2 \
		--epochs 100 --lr 5e-4 --batch-size 8 --max-steps $(TINY_STEPS) --save-every 100 --resume \
		--seed 1
	$(BIN)/vagent train tiny-install $(TINY)/sft2

test: setup
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
