# Two commands do all the set-up: `make demo` (the main job) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test calibration clean

$(STAMP): pyproject.toml
	@PYTHON=$$(scripts/find-python.sh) || exit 1; \
	  echo "building $(VENV) with $$PYTHON"; \
	  "$$PYTHON" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ntib demo --out out/demo

test: $(STAMP)
	$(PY) -m pytest

calibration: $(STAMP)
	$(PY) scripts/calibrate.py --seeds 10 --out docs/calibration.md

clean:
	rm -rf $(VENV) out
