#!/usr/bin/env bash
# Builds the shared Lambda layer into ARTIFACTS_DIR/python: the locked runtime dependencies
# (`uv export` of the project's default dependencies, no dev or local group) as wheels for the
# target platform, the dotline package from SOURCE_DIR, and their bytecode compiled by the
# target's own interpreter version. `sam build` runs it through the Makefile's build-SharedLayer
# target (SOURCE_DIR: SAM's copy of shared/); the package check runs it for this machine.
#
#   build_layer.sh SOURCE_DIR ARTIFACTS_DIR
#   LAMBDA_PYTHON_VERSION  target CPython minor version (default 3.13, the template's runtime)
#   LAMBDA_PLATFORM        uv's name of the target platform (default aarch64-manylinux_2_28:
#                          arm64 Amazon Linux 2023, glibc 2.34; older manylinux wheels fit too)
#   DOTLINE_PYTHON         the interpreter that compiles the bytecode (else local/lambda_python.sh)
set -euo pipefail

SOURCE_DIR=$(cd "$1" && pwd)
ARTIFACTS_DIR=$2
VERSION=${LAMBDA_PYTHON_VERSION:-3.13}
PLATFORM=${LAMBDA_PLATFORM:-aarch64-manylinux_2_28}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TARGET=$ARTIFACTS_DIR/python

python=$(bash "$HERE/lambda_python.sh" "$VERSION")
requirements=$(mktemp)
# botocore comes with the Lambda runtime (as boto3 does); aws-xray-sdk would pull a copy in.
trap 'rm -f "$requirements"' EXIT
uv export --project "$ROOT" --frozen --no-default-groups --no-hashes --no-emit-project \
  --no-emit-package botocore \
  --format requirements-txt -q -o "$requirements"

rm -rf "$TARGET"
mkdir -p "$TARGET"
# The lock is already resolved: --no-deps installs exactly its pins, markers evaluated for the
# target (numpy's pin for 3.13 is not 3.11's). Wheels only: nothing is compiled for a platform
# this machine is not.
uv pip install --quiet --target "$TARGET" --python-platform "$PLATFORM" \
  --python-version "$VERSION" --only-binary :all: --no-deps --no-config -r "$requirements"
# Console scripts (shebangs of this machine) and test suites are never run in Lambda.
rm -rf "$TARGET/bin"
find "$TARGET" -depth -type d -name tests -path '*/numpy/*' -exec rm -rf {} +
find "$TARGET" -depth -type d -name tests -path '*/networkx/*' -exec rm -rf {} +

tar -C "$SOURCE_DIR" --exclude=__pycache__ --exclude='*.pyc' -cf - dotline | tar -C "$TARGET" -xf -

# /opt is read-only in Lambda, so bytecode must ship. unchecked-hash: the runtime uses it as is,
# whatever mtimes the zip gave the sources. Paths in tracebacks are those Lambda sees (/opt).
# A file this version cannot compile (a package's Python 2 template, say) is left to the
# report's ratio; a failure in dotline itself fails the build.
"$python" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
  -s "$TARGET" -p /opt/python "$TARGET" >/dev/null || true
"$python" -m compileall -q --invalidation-mode unchecked-hash \
  -s "$TARGET" -p /opt/python "$TARGET/dotline"
echo "build_layer: $TARGET for CPython $VERSION on $PLATFORM (bytecode by $python)" >&2
