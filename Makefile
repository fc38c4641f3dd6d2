# The README's two commands, `make demo` and `make test`, share one set-up.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup migrate demo test lint bench clean-venv

setup:
	./scripts/setup.sh
	$(PY) manage.py migrate --noinput

demo: setup
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check .

clean-venv:
	rm -rf .venv
