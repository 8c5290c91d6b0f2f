#!/usr/bin/env bash
# Installs, checks, builds and tests the TypeScript client from a fresh clone.
# Needs node (>= 20) and npm, and a running Gazette:
#   GAZETTE_URL=http://127.0.0.1:8080 GAZETTE_ADMIN_KEY=gazette_… ./run-tests.sh
# Optional: GAZETTE_KEY, a content key, for servers that require one on reads.
set -euo pipefail
cd "$(dirname "$0")"

if [[ -z "${GAZETTE_URL:-}" || -z "${GAZETTE_ADMIN_KEY:-}" ]]; then
  echo "run-tests.sh: set GAZETTE_URL and GAZETTE_ADMIN_KEY (a running Gazette and an admin key)" >&2
  exit 2
fi

npm ci
npm run check:drift
npm run typecheck
npm run build
npm test
