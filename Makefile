# dotline's everyday commands. Every target that needs the stack bootstraps it first: installing
# what is missing is quick and silent when nothing is.
SHELL := /bin/bash
# This file's folder: `sam build` runs the build-* targets from its own copy of each CodeUri.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Every target here works on the local stack: its defaults and embedded backends apply only under
# this profile (a deployed function refuses them; see shared/dotline/profile.py).
export DOTLINE_PROFILE ?= local

PGTAP_DIR := supabase/tests/database
DB_ENV := PGPASSWORD=postgres
DB_ARGS := -h 127.0.0.1 -p 54322 -U postgres -d postgres

.PHONY: help bootstrap dev up down migrate reset schema schema-diff test unit pytest pgtap cfn-lint lint \
  requirements bench \
  build build-SharedLayer package-check deploy smoke

help:
	@echo "make dev    bootstrap, then run the stack in the foreground with a demo token"
	@echo "make up     bootstrap, then start the stack in the background"
	@echo "make down   stop the gateway, the REST face and the 54322 cluster"
	@echo "make reset  rebuild the local database from the migrations and the seed"
	@echo "make schema  rebuild supabase/schema.sql (the migrations' schema, normalised)"
	@echo "make schema-diff OLD=<rev>  build OLD's migrations and the files', diff schema, cron, seed"
	@echo "make test   bootstrap, backing services, pytest, pgTAP (pg_prove), cfn-lint"
	@echo "make unit   the fast layer alone (tests/unit): pure code, no stack, in seconds"
	@echo "make lint   ruff check, ruff format --check, mypy"
	@echo "make requirements  re-export the Lambda layer's pins (shared/requirements.txt) from uv.lock"
	@echo "make bench  bootstrap, up, then every bench/*.py"
	@echo "make build  sam build (no container): the layer and every function for the template's"
	@echo "            runtime (python3.13, arm64) into .aws-sam/build, then their sizes"
	@echo "make package-check  the layer and functions built for this machine answer a request"
	@echo "            each with nothing else on sys.path (needs the stack: make test or make up)"
	@echo "make deploy STAGE=dev [GUIDED=1]  sam build, then sam deploy with samconfig.toml's STAGE"
	@echo "make smoke URL=https://... TOKEN=...  check a deployed API (/health, a token, /v1/me)"

bootstrap:
	@bash local/bootstrap.sh

dev: bootstrap
	uv run dotline dev

up: bootstrap
	uv run dotline up

down:
	uv run dotline down

migrate: bootstrap
	uv run dotline migrate

reset: bootstrap
	uv run dotline reset

# The migrations' schema as one file: each chain is built in a scratch cluster (on a free port).
schema: bootstrap
	uv run python -m dotline_local.schema_dump write

schema-diff: bootstrap
	@if [[ -z "$(OLD)" ]]; then echo "usage: make schema-diff OLD=<git rev>" >&2; exit 2; fi
	uv run python -m dotline_local.schema_dump diff --old "$(OLD)"

# Tests start their own gateways; a background one (from `make up`) would dispatch the outbox
# underneath them, so `up --for-tests` brings up only the backing services, the REST face and
# the Auth admin emulation.
test: bootstrap
	uv run dotline up --for-tests
	$(MAKE) -k --no-print-directory pytest pgtap cfn-lint

# The fast layer: pure code (ranking, layout, rules, models, limits, cursors), no stack needed.
# `make test` runs these too, with everything else.
unit:
	uv run pytest -m unit tests/unit

# No `|| true` anywhere: pytest's exit 5 (nothing collected) fails the build like any other.
pytest:
	uv run pytest

pgtap:
	@files=($(PGTAP_DIR)/*.sql); \
	if [[ ! -e "$${files[0]}" ]]; then echo "pgtap: no tests in $(PGTAP_DIR)" >&2; exit 1; fi
	@# As `supabase test db` does: pgTAP is there for the tests, not shipped by a migration.
	@$(DB_ENV) psql $(DB_ARGS) -Xq -v ON_ERROR_STOP=1 \
	  -c 'create extension if not exists pgtap with schema extensions'
	$(DB_ENV) PGOPTIONS='--client-min-messages=warning' pg_prove $(DB_ARGS) $(PGTAP_DIR)/*.sql

cfn-lint:
	uv run cfn-lint template.yaml

lint:
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy

# The layer's pins, from the lock (tests/test_layer.py fails when they drift apart).
# botocore comes with the Lambda Python runtime (beside boto3); aws-xray-sdk would pull it in.
requirements:
	uv export --no-default-groups --no-hashes --no-emit-project --format requirements-txt \
	  --no-emit-package botocore --frozen -q -o shared/requirements.txt

bench: up
	@files=(bench/*.py); \
	if [[ ! -e "$${files[0]}" ]]; then echo "bench: nothing in bench/" >&2; exit 1; fi; \
	for file in "$${files[@]}"; do echo "== $$file"; uv run python "$$file"; done

# --- Lambda packages ---------------------------------------------------------------------------
# SAM CLI from PyPI, in its own environment (uvx caches it): never part of the project's.
SAM_CLI_VERSION := 1.170.0
SAM := uvx --from aws-sam-cli==$(SAM_CLI_VERSION) sam
# The interpreter that compiles the bytecode and reports on it: the template's runtime version.
LAMBDA_PYTHON_VERSION ?= 3.13

build:
	python="$$(bash local/lambda_python.sh $(LAMBDA_PYTHON_VERSION))"; \
	DOTLINE_PYTHON="$$python" $(SAM) build --template template.yaml; \
	"$$python" local/package_report.py .aws-sam/build/SharedLayer .aws-sam/build/*Function

# What template.yaml's `BuildMethod: makefile` resources run (SAM sets ARTIFACTS_DIR; the working
# directory is SAM's copy of the CodeUri).
build-SharedLayer:
	bash "$(ROOT)/local/build_layer.sh" . "$(ARTIFACTS_DIR)"

build-%Function:
	bash "$(ROOT)/local/build_function.sh" . "$(ARTIFACTS_DIR)"

# The same build for this machine (its Python, its platform), then every handler imported and one
# request answered by each with only the layer and its own folder on sys.path.
package-check: bootstrap
	uv run dotline up --for-tests
	uv run python -m dotline_local.package_check

# A stage's first deploy asks for every parameter and saves the answers under [STAGE] in
# samconfig.toml (GUIDED=1); later ones reuse them. The README's "Deploying" lists what comes first.
STAGE ?= dev
deploy: build
	$(SAM) deploy --config-env $(STAGE) $(if $(GUIDED),--guided)

smoke:
	@test -n "$(URL)" -a -n "$(TOKEN)" || { echo "usage: make smoke URL=https://... TOKEN=..." >&2; exit 2; }
	uv run dotline smoke --url "$(URL)" --token "$(TOKEN)"
