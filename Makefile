# Each target sets up .venv when it is missing, so a fresh clone needs only `make demo` or
# `make test`. torch comes first and pinned: on this kind of machine those wheels lie on disk.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.14.1 torchvision==0.29.1

.PHONY: demo test setup clean

$(BIN)/vagent: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/python -c "import torch, torchvision" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev]"
	touch $(BIN)/vagent

setup: $(BIN)/vagent

demo: setup
	$(BIN)/vagent run "click the OK button" --env buttons --policy oracle --out runs/demo

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
