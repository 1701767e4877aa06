# Shared set-up for scripts/start and scripts/test: a virtualenv with the Python packages and a
# project-local bun (Reflex cannot download its own here). Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS="${1:-requirements.txt}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the requirements changed since the last install.
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$(basename "$REQUIREMENTS")"
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages from $REQUIREMENTS"
  .venv/bin/pip install --disable-pip-version-check -q -r "$REQUIREMENTS"
  touch "$stamp"
fi
if [ ! -x .tools/node_modules/.bin/bun ]; then
  echo "==> installing bun 1.4.4 into .tools/"
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools bun@1.4.4
fi
export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export REFLEX_USE_SYSTEM_BUN=1
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
