#!/usr/bin/env bash
# Prints the path of a CPython of the given minor version (default 3.13, the Lambda runtime's),
# for compiling the layer's bytecode: DOTLINE_PYTHON when set, else the first that answers of
# the one local/python313.sh builds, pyenv's, python3.X on PATH, uv's (found, else downloaded)
# and, for 3.13 only, one built from source by local/python313.sh (a machine that reaches
# neither python.org nor GitHub). Cheap candidates first: `sam build` asks once per function.
set -euo pipefail

VERSION=${1:-3.13}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

is_wanted() {
  [[ -n $1 && -x $1 ]] &&
    "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$VERSION'.split('.'))))" 2>/dev/null
}

found() {
  if is_wanted "$1"; then echo "$1"; exit 0; fi
}

found "${DOTLINE_PYTHON:-}"
found "/opt/dotline/python$VERSION/bin/python$VERSION"
if command -v pyenv >/dev/null; then
  for python in $(ls -d "$(pyenv root)"/versions/"$VERSION".*/bin/"python$VERSION" 2>/dev/null |
    sort -V -r); do
    found "$python"
  done
fi
found "$(command -v "python$VERSION" || true)"
found "$(uv python find --no-project --system "$VERSION" 2>/dev/null || true)"

echo "lambda_python: no Python $VERSION found; asking uv to download one" >&2
if uv python install "$VERSION" >&2 2>/dev/null; then
  python=$(uv python find --no-project "$VERSION")
  if is_wanted "$python"; then echo "$python"; exit 0; fi
fi
if [[ $VERSION == 3.13 ]]; then
  echo "lambda_python: uv could not download it; building it from source" >&2
  exec bash "$HERE/python313.sh"
fi
echo "lambda_python: no Python $VERSION: install one (uv python install $VERSION) or set DOTLINE_PYTHON" >&2
exit 1
