#!/usr/bin/env bash
# Refresh requirements.lock: the exact versions the README's install command uses as
# constraints (pip install -c requirements.lock ...). Run after changing dependencies in
# pyproject.toml, then run the test suite in a fresh virtual environment and commit both.
#   bash scripts/update_lock.sh      (needs uv: python3 -m pip install uv)
set -euo pipefail
cd "$(dirname "$0")/.."
uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
  --no-header --no-annotate -o requirements.lock --quiet
{ echo "# Exact versions tested with immunescape (constraints for pip install -c)."
  echo "# Regenerate with: bash scripts/update_lock.sh"
  cat requirements.lock; } > requirements.lock.tmp
mv requirements.lock.tmp requirements.lock
echo "requirements.lock: $(grep -c '==' requirements.lock) pinned distributions"
