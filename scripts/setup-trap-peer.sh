#!/usr/bin/env bash
# The benchmark's TraP peer: the current TraP (the `trap` package 1.4 from PyPI) in a virtual
# environment of its own, .venv-trap (TraP pins numba, dask and pandas versions of its own, so it
# never shares tkpdb's environment). scripts/benchmark.py runs scripts/bench/trap_peer.py with
# .venv-trap/bin/python; without it the report says that the peer was not run.
#
#   scripts/setup-trap-peer.sh
#
# Not part of scripts/setup.sh or CI: only the benchmark needs it. Running it again is harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-trap/bin/python ]; then
    python3 -m venv .venv-trap
fi
.venv-trap/bin/python -m pip install -q --upgrade pip
.venv-trap/bin/python -m pip install -q "trap==1.4.0"
.venv-trap/bin/python -c "import trap.run, trap.io, trap.post_processing; print('TraP peer ready')"
