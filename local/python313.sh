#!/usr/bin/env bash
# Builds CPython 3.13 from Debian's copy of its source, for a machine where no 3.13 can be had
# otherwise (uv downloads its interpreters from GitHub; Debian 12 packages only 3.11). The layer
# build needs one only to compile the layer's bytecode for the Lambda runtime (python3.13): the
# wheels themselves are picked by platform tags, without running them. Idempotent: a working
# interpreter under PREFIX is kept. Prints the interpreter's path on stdout, progress on stderr.
set -euo pipefail

PREFIX=${DOTLINE_PYTHON313_PREFIX:-/opt/dotline/python3.13}
VERSION=3.13.5
TARBALL=python3.13_${VERSION}.orig.tar.xz
URL=http://deb.debian.org/debian/pool/main/p/python3.13/${TARBALL}
SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/dotline
PYTHON=$PREFIX/bin/python3.13

if [[ -x $PYTHON ]] && "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
  echo "$PYTHON"
  exit 0
fi

# Only a compiler and make are needed: compileall uses no optional module (no ssl, no ctypes).
missing=()
for tool in gcc make xz curl; do command -v $tool >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  packages=${missing[*]}
  packages=${packages/xz/xz-utils}
  echo "python313: installing ${packages}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >&2
fi

mkdir -p "$CACHE"
if ! echo "$SHA256  $CACHE/$TARBALL" | sha256sum -c --status 2>/dev/null; then
  echo "python313: downloading $URL" >&2
  curl -fsSL --retry 3 -o "$CACHE/$TARBALL.part" "$URL"
  echo "$SHA256  $CACHE/$TARBALL.part" | sha256sum -c --status ||
    { echo "python313: $TARBALL does not match its sha256" >&2; exit 1; }
  mv "$CACHE/$TARBALL.part" "$CACHE/$TARBALL"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xJf "$CACHE/$TARBALL" -C "$work"
cd "$work"/Python-*
started=$SECONDS
echo "python313: building CPython $VERSION into $PREFIX (a few minutes, once)" >&2
./configure --prefix="$PREFIX" --without-ensurepip --disable-test-modules >"$work/configure.log" 2>&1 ||
  { tail -n 40 "$work/configure.log" >&2; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
make altinstall >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
echo "python313: built in $((SECONDS - started)) s" >&2
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13)'
echo "$PYTHON"
