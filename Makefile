# Two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || echo $(HOME)/.pyenv/versions/3.12.1/bin/python3.12)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check --quiet
STAMP := $(VENV)/.installed
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is local development: plain HTTP and Django's debug pages.
RUN_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1} MEDIAHUB_HTTPS=$${MEDIAHUB_HTTPS:-0}

.PHONY: install run test lint bench bench-focal bench-scale browser pgbouncer clean package load load-lambda messages

install: $(STAMP) $(SCAN_STAMP) browser pgbouncer

$(STAMP): requirements/runtime.txt requirements/test.txt requirements/deploy.txt requirements/bench.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements/test.txt -r requirements/bench.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

# checkov and parliament scan infra/template.yaml from the suite. They live in
# their own venv: checkov pins boto3 and packaging far below the app's.
$(SCAN_STAMP): requirements/scan.txt
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip --disable-pip-version-check --quiet install \
	  -r requirements/scan.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

# Browser tests use Debian's Chromium; Playwright cannot download its own here.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium: browser tests will be skipped."; \
	  else echo "No /usr/bin/chromium: browser tests will be skipped (apt-get install chromium)."; fi; \
	fi

# The Lambda harness (bench/lambda_harness) reaches PostgreSQL through its own
# PgBouncer in transaction mode, as Lambda reaches RDS through RDS Proxy.
pgbouncer:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's pgbouncer for the Lambda harness..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null) \
	      || echo "Could not install pgbouncer: the Lambda harness tests will be skipped."; \
	  else echo "No pgbouncer: the Lambda harness tests will be skipped (apt-get install pgbouncer)."; fi; \
	fi

var:
	@mkdir -p "$${MEDIAHUB_VAR_DIR:-var}"

run: $(STAMP) var
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py bootstrap
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving the admin at http://$(HOST):$(PORT)/admin/ with one background worker (Ctrl-C stops both)"
	$(RUN_ENV) $(PY) manage.py serve $(HOST):$(PORT)

test: install var
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest $(PYTEST_ARGS)

# `make messages`: refresh the catalogues in locale/ from the code, templates and
# JavaScript, then compile them. The .mo files are committed (a clean clone, CI
# and the Lambda zip need no GNU gettext); tests/test_i18n.py fails while a .mo
# and its .po disagree. Needs GNU gettext (apt-get install gettext).
I18N_IGNORE := --ignore='.venv*' --ignore=bench --ignore=tests --ignore=staticfiles --ignore=var --ignore=dist
messages: $(STAMP)
	$(RUN_ENV) $(PY) manage.py makemessages --all --no-obsolete $(I18N_IGNORE)
	$(RUN_ENV) $(PY) manage.py makemessages --all --no-obsolete -d djangojs $(I18N_IGNORE)
	$(RUN_ENV) $(PY) manage.py compilemessages $(I18N_IGNORE)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# `make bench`: the engine against pyvips chained and plain Pillow on the shared
# photos, then auto-quality against fixed quality (bytes, SSIMULACRA2, CPU), on the
# shared photos (MEDIAHUB_SHARED_DIR, default ../shared). MEDIAHUB_BENCH_PHOTOS=umang,opal
# or =4 picks a subset; MEDIAHUB_BENCH_ROUNDS=3 repeats more. The admin requests
# over 1,140 assets and the refusal of a header pixel bomb are timed here,
# not in the suite. The AVIF check runs its quick form at the two smaller
# hero sizes; `python -m bench.bench_avif` alone runs the whole ladder.
bench: $(STAMP) var
	$(PY) -m bench.bench_engine
	$(PY) -m bench.bench_quality
	$(PY) -m bench.bench_avif --quick --qualities 70,80 --sizes 640,1024
	$(PY) -m bench.bench_memory
	$(PY) -m bench.bench_animation
	$(PY) -m bench.bench_signing
	$(PY) -m bench.bench_embed
	$(PY) -m bench.bench_admin
	$(PY) -m bench.bench_focal

# `make bench-focal`: the suggested focal area against centre crops on photos
# with hand-marked subjects (bench/focal_marks.json), and its cost per upload.
# The first run downloads three wheels with pip into var/bench-focal/.
bench-focal: $(STAMP) var
	$(PY) -m bench.bench_focal

# `make load`: gunicorn + PostgreSQL (127.0.0.1:5432, database LOAD_DB, dropped
# and made anew) + moto's S3 behind a fault proxy; see docs/hardening.md.
LOAD_DB ?= mediahub_load
load: $(STAMP) var
	$(PY) -m bench.load.run_load --editors $${EDITORS:-4} --readers $${READERS:-8} --db $(LOAD_DB)

# `make load-lambda`: a burst of UPLOADS photos (default 2,000) through the Lambda
# harness (Zappa's handler, reserved concurrency 4, PgBouncer, moto), with
# handler kills, duplicate deliveries, S3 faults, a database restart and a
# purge on the way; see docs/hardening.md. LAMBDA_ARGS passes more options.
LAMBDA_DB ?= mediahub_lambda_burst
load-lambda: $(STAMP) var pgbouncer
	$(PY) -m bench.lambda_harness.burst --uploads $${UPLOADS:-2000} --db $(LAMBDA_DB) $(LAMBDA_ARGS)

# The library at 1,000 and N assets on PostgreSQL (BENCH_DATABASE_URL): every
# admin list, filter, search, page and API request as a superuser and as a
# collection editor; growth p50(N)/p50(1,000) against 1.5. A seeded database
# is kept for the next run while its seed version matches (--fresh: again).
N ?= 100000
bench-scale: $(STAMP)
	$(PY) -m bench.bench_scale --sizes 1000,$(N) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(LAMBDA_VENV) .venv-scan var dist staticfiles .pytest_cache .ruff_cache .hypothesis

# `make package [STAGE=prod]`: the Lambda zip, built by Zappa from a venv holding only
# what runs on Lambda (the dev venv would double its size). Zappa talks to no AWS
# API here; it only wants a boto3 session, hence the dummy credentials.
STAGE ?= dev
LAMBDA_VENV := .venv-lambda
LAMBDA_STAMP := $(LAMBDA_VENV)/.installed
PACKAGE_ENV := AWS_ACCESS_KEY_ID=packaging AWS_SECRET_ACCESS_KEY=packaging \
	AWS_DEFAULT_REGION=eu-west-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	VIRTUAL_ENV=$(CURDIR)/$(LAMBDA_VENV) PATH=$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH

$(LAMBDA_STAMP): requirements/runtime.txt requirements/deploy.txt
	@test -x $(LAMBDA_VENV)/bin/python || $(PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/pip --disable-pip-version-check --quiet install \
	  -r requirements/runtime.txt -r requirements/deploy.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

# collectstatic runs with DEBUG off so the zip holds WhiteNoise's manifest and
# compressed files; staticfiles/ is packaged with the project. DEBUG off needs a
# secret: a random one, made for this one command and never kept.
THROWAWAY_KEY = $$($(LAMBDA_VENV)/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
package: $(LAMBDA_STAMP)
	env -u DJANGO_DEBUG -u MEDIAHUB_STORAGE -u DJANGO_STATIC_URL \
	  DJANGO_SECRET_KEY=$(THROWAWAY_KEY) \
	  $(LAMBDA_VENV)/bin/python manage.py collectstatic --noinput --clear --verbosity 0
	@mkdir -p dist
	$(PACKAGE_ENV) zappa package $(STAGE) -o dist/mediahub-$(STAGE).zip
	$(LAMBDA_VENV)/bin/python infra/compile_package.py dist/mediahub-$(STAGE).zip
	$(LAMBDA_VENV)/bin/python infra/check_package.py dist/mediahub-$(STAGE).zip
