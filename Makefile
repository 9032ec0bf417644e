# Two commands do all the set-up: `make demo` (the main job) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo assets test lint calibration validation reliability screenshots experiments clean

$(STAMP): pyproject.toml
	@PYTHON=$$(scripts/find-python.sh) || exit 1; \
	  echo "building $(VENV) with $$PYTHON"; \
	  "$$PYTHON" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

demo: $(STAMP) assets
	$(VENV)/bin/ntib demo --out out/demo

# Solara's browser files into the venv with npm, so `ntib viz` shows its page with no CDN; without npm or the npm
# registry the script says so in one line and the page falls back to the CDN, so that failure does not stop demo
assets: $(STAMP)
	-$(PY) scripts/solara_assets.py

test: $(STAMP) assets
	$(PY) -m pytest

# ruff (its rules are in pyproject.toml) over every Python file, and mypy over the package
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

calibration: $(STAMP)
	$(PY) scripts/calibrate.py

# the validation suite: every pattern, lever response and scale check, into docs/validation.md
validation: $(STAMP)
	$(PY) scripts/validate.py --out docs/validation.md

reliability: $(STAMP)
	$(PY) scripts/reliability.py --out docs/reliability.md

# the README's pictures of the page (1600 px, 1024 px, dark) and its step + redraw time; needs /usr/bin/chromium
screenshots: $(STAMP)
	$(PY) scripts/screenshots.py

EXPERIMENTS := scenarios preference_sweep barriers_heatmap sensitivity surge reciprocity discovery robust

# every experiment at its default size into out/<name>/, then the figures the README shows into docs/img/
experiments: $(STAMP)
	@for name in $(EXPERIMENTS); do \
	  echo "== $$name"; $(PY) experiments/$$name.py --quiet || exit 1; \
	done
	mkdir -p docs/img/experiments
	for f in out/*/*.png; do case $$f in out/demo/*|out/browser/*) ;; *) cp $$f docs/img/experiments/ ;; esac; done

clean:
	rm -rf $(VENV) out
