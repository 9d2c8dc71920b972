#!/usr/bin/env bash
# Builds one function's package into ARTIFACTS_DIR: its own folder as it is (a handler module;
# what it imports is in the shared layer) and its bytecode, compiled for the target runtime as
# the layer's is (local/build_layer.sh). `sam build` runs it through the Makefile's
# build-<Name>Function targets, with SOURCE_DIR being SAM's copy of the function's CodeUri.
#
#   build_function.sh SOURCE_DIR ARTIFACTS_DIR      (LAMBDA_PYTHON_VERSION, DOTLINE_PYTHON as there)
set -euo pipefail

SOURCE_DIR=$(cd "$1" && pwd)
ARTIFACTS_DIR=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

python=${DOTLINE_PYTHON:-$(bash "$HERE/lambda_python.sh" "${LAMBDA_PYTHON_VERSION:-3.13}")}
mkdir -p "$ARTIFACTS_DIR"
tar -C "$SOURCE_DIR" --exclude=__pycache__ --exclude='*.pyc' -cf - . | tar -C "$ARTIFACTS_DIR" -xf -
"$python" -m compileall -q --invalidation-mode unchecked-hash -s "$ARTIFACTS_DIR" -p /var/task \
  "$ARTIFACTS_DIR"
