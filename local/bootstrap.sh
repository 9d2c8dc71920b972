#!/usr/bin/env bash
# Installs what the local stack needs on Debian 12, only what is missing: PostgreSQL 15 with
# pg_cron, pg_partman and pgTAP (plus pg_prove), Redis, uv, and the project's Python
# environment. Safe to run twice; silent and quick when everything is there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEBIAN_PACKAGES=(
  postgresql-15
  postgresql-15-cron
  postgresql-15-partman
  postgresql-15-pgtap
  libtap-parser-sourcehandler-pgtap-perl
  redis-server
  python3  # Debian 12's 3.11, so uv needs no Python download
)

as_root() {
  if [[ ${EUID} -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "bootstrap: need root to run: $*" >&2
    exit 1
  fi
}

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == "installed" ]]
}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  installed "${package}" || missing+=("${package}")
done
# Node runs Neo4j's own Cypher front end in the tests (tests/cypher_lint); any install will do.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v uv >/dev/null; then
  echo "bootstrap: installing uv"
  if ! command -v pip >/dev/null && ! python3 -m pip --version >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  # Debian's own Python refuses system-wide installs (PEP 668); uv is a standalone tool.
  python3 -m pip install -q uv 2>/dev/null || python3 -m pip install -q --break-system-packages uv
  hash -r
  command -v uv >/dev/null || { echo "bootstrap: uv installed but not on PATH" >&2; exit 1; }
fi

uv sync --locked --quiet
