# rasterlog_nb: `make report` runs the main job, `make test` checks everything. Both set up .venv first.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PY    := $(BIN)/python
STAMP := $(VENV)/.installed-stamp
REPORT_DIR ?= reports/main

.PHONY: install test sync readme report lab clean-venv

$(PY):
	python3 -m venv $(VENV)

# editable install with the dev extras; re-run when the requirements change
$(STAMP): $(PY) settings.ini setup.py
	$(PY) -m pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# README.md is generated from nbs/index.ipynb (nbdev_readme needs Quarto, which cannot be installed here)
# nbs/index.ipynb links its pictures and notebooks as seen from nbs/ (so they show in JupyterLab): `../docs/x.png`,
# `lesson.ipynb`; README.md sits at the root, so those become `docs/x.png`, `nbs/lesson.ipynb` (the same every run)
readme: install
	$(BIN)/jupyter nbconvert --to markdown nbs/index.ipynb --output-dir . --output README \
	  --RegexRemovePreprocessor.patterns='^#\|\s*hide' --log-level=WARN
	sed -i -E -e 's#(\]\(|src=")\.\./#\1#g' -e 's#\]\(([A-Za-z0-9_.-]+\.ipynb)\)#](nbs/\1)#g' README.md

# notebooks are the source: cleaning and exporting them must not change any tracked file
sync: install
	@before="$$(git status --porcelain --untracked-files=no; git diff | md5sum)"; \
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(MAKE) -s readme || exit 1; \
	after="$$(git status --porcelain --untracked-files=no; git diff | md5sum)"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "notebooks were unclean or the library/README out of sync; nbdev_clean/nbdev_export changed:"; \
	  git status --short --untracked-files=no; exit 1; fi

test: sync
	$(BIN)/nbdev_test --n_workers 2
	$(BIN)/python -m pytest -q tests

report: install
	$(BIN)/rasterlog report --out $(REPORT_DIR)
	@echo "open $(REPORT_DIR)/report.html (works offline); metrics in $(REPORT_DIR)/metrics.json"

lab: install
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir nbs

# start again from nothing: the next `make install`/`make test` rebuilds the environment
clean-venv:
	rm -rf $(VENV)
