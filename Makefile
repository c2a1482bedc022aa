# Each target sets up .venv when it is missing, so a fresh clone needs only `make demo` or
# `make test`. torch comes first and pinned: on this kind of machine those wheels lie on disk.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.14.1 torchvision==0.29.1

.PHONY: demo test setup clean train-tiny system-packages

$(BIN)/vagent: pyproject.toml setup.py vagent-gymnasium.pth
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/python -c "import torch, torchvision" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev]"
	touch $(BIN)/vagent

setup: $(BIN)/vagent

# The Debian packages the tests use (X server, adb client, clipboard and pointer tools, fonts,
# the browser for the web tests) and the ones the demo draws with. Installed when missing and
# we are root with apt-get; elsewhere the tests that need one skip, naming it. Under CI=true a
# package that cannot be installed fails the target (and a test missing its tool fails).
SYSTEM_PACKAGES := xvfb adb xclip xdotool fonts-dejavu-core chromium chromium-driver
DEMO_PACKAGES := fonts-dejavu-core
STRICT := $(if $(filter true,$(CI)),--strict,)

system-packages:
	bash .ci/system-packages $(STRICT) $(SYSTEM_PACKAGES)

# The bundled model drives the simulated phone (both in-process, CPU only); the last line says
# whether it succeeded and where the trajectory is.
demo: setup
	bash .ci/system-packages $(STRICT) $(DEMO_PACKAGES)
	$(BIN)/vagent run "find restaurants in San Diego" --out runs/demo

# Reproduces the bundled tiny model (policies/bundled/tiny-qwen2vl; settings in
# training/bundled.py) in SFT rounds on the CPU. Rounds 1-2 (as first shipped): oracle runs on
# the phone's first, small training lists (--split train-v1) and on NumberLine (data seed 0),
# exported as the tiny policy's prompts; a base checkpoint with a tokenizer trained on that text;
# round 1 from it, round 2 from round 1 with a lower schedule and the NumberLine samples three
# times. Round 3, from round 2: oracle runs on the training grammar with values composed from
# large pools (--split train, data seeds 0 and 1), where only copying the task's words pays, and
# NumberLine. Round 7, from round 3: the same runs with the NumberLine samples three times, at a
# lower rate (rounds 4-6, 8 and 9 were tried and not shipped: see the model card).
# Then installed. The data is the same on every run; a killed training resumes from its newest
# checkpoint.
TINY := build/tiny
TINY_PHONE ?= 1200
TINY_NUMBERLINE ?= 300
TINY_STEPS ?= 2000
TINY_PHONE3 ?= 270
TINY_STEPS3 ?= 450
TINY_STEPS7 ?= 300
TINY_RUNS := $(TINY)/runs/phone $(TINY)/runs/numberline
TINY_RUNS3 := $(TINY)/runs/phone2a $(TINY)/runs/phone2b $(TINY)/runs/numberline
train-tiny: setup
	$(BIN)/vagent data generate phone-sim --split train-v1 --episodes $(TINY_PHONE) --seed 0 \
		--out $(TINY)/runs/phone
	$(BIN)/vagent data generate numberline --episodes $(TINY_NUMBERLINE) --seed 0 \
		--out $(TINY)/runs/numberline
	$(BIN)/vagent data generate phone-sim --split train --episodes $(TINY_PHONE3) --seed 0 \
		--out $(TINY)/runs/phone2a
	$(BIN)/vagent data generate phone-sim --split train --episodes $(TINY_PHONE3) --seed 1 \
		--out $(TINY)/runs/phone2b
	$(BIN)/vagent data export $(TINY_RUNS) --preset tiny --out $(TINY)/train.jsonl
	$(BIN)/vagent data export $(TINY_RUNS) --preset tiny --out $(TINY)/mix.jsonl \
		--repeat numberline=3
	$(BIN)/vagent data export $(TINY_RUNS3) --preset tiny --out $(TINY)/mix3.jsonl
	test -f $(TINY)/base/config.json || \
		$(BIN)/vagent train tiny-base --data $(TINY)/train.jsonl --out $(TINY)/base
	$(BIN)/vagent train sft --data $(TINY)/train.jsonl --model $(TINY)/base --out $(TINY)/sft \
		--epochs 100 --lr 1e-3 --batch-size 8 --max-steps $(TINY_STEPS) --save-every 100 --resume
	$(BIN)/vagent train sft --data $(TINY)/mix.jsonl --model $(TINY)/sft --out $(TINY)/sft2 \
		--epochs 100 --lr 5e-4 --batch-size 8 --max-steps $(TINY_STEPS) --save-every 100 --resume \
		--seed 1
	$(BIN)/vagent train sft --data $(TINY)/mix3.jsonl --model $(TINY)/sft2 --out $(TINY)/sft3 \
		--epochs 100 --lr 5e-4 --batch-size 8 --max-steps $(TINY_STEPS3) --save-every 100 \
		--resume --seed 2
	$(BIN)/vagent data export $(TINY_RUNS3) --preset tiny --out $(TINY)/mix7.jsonl \
		--repeat numberline=3
	$(BIN)/vagent train sft --data $(TINY)/mix7.jsonl --model $(TINY)/sft3 --out $(TINY)/sft7 \
		--epochs 100 --lr 3e-4 --batch-size 8 --max-steps $(TINY_STEPS7) --save-every 50 \
		--resume --seed 7
	$(BIN)/vagent train tiny-install $(TINY)/sft7

# Ends with one line naming the skipped tests' reasons (tests/conftest.py).
test: setup system-packages
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
