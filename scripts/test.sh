#!/usr/bin/env bash
# Run the whole test suite against the local PostgreSQL server (see README).
# Extra arguments go to pytest, e.g. scripts/test.sh -k one_to_many -x
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest "$@"
