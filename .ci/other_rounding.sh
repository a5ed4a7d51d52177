#!/usr/bin/env bash
# Re-run the notebooks and the claim tests with floating-point rounding that differs from this
# machine's, to catch a printed number that would fail nbval on another computer.
#
# Another CPU, another BLAS build or another thread count rounds the last bits of a matrix
# product differently. Almost every result is insensitive to that, but a training run at the
# edge of divergence is chaotic: its last digits, sometimes its first, depend on those bits.
# Such a number must not sit in a cell nbval compares (see CONTRIBUTING.md). OpenBLAS, the BLAS
# of numpy's wheels, can be told to use the matrix kernels of another x86-64 processor family
# (OPENBLAS_CORETYPE); each family sums in a different order, so this run sees other rounding.
# It also uses one BLAS thread, where the main run uses all cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -m)" != "x86_64" ]; then
    echo "other_rounding.sh: the OpenBLAS kernel families it selects exist on x86-64 only; not run on $(uname -m)" >&2
    exit 1
fi
core=${1:-Sandybridge}   # AVX without FMA: differs from Haswell/Zen and SkylakeX kernels alike
export OPENBLAS_CORETYPE=$core OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# Make sure the setting took effect: a check that silently checks nothing is worse than none.
python - "$core" <<'PY'
import sys
import numpy as np
from threadpoolctl import threadpool_info
blas = [lib for lib in threadpool_info() if lib["internal_api"] == "openblas"]
if not blas:
    sys.exit("other_rounding.sh: numpy does not use OpenBLAS here, so OPENBLAS_CORETYPE does nothing")
arch = blas[0].get("architecture", "")
if arch.lower() != sys.argv[1].lower():
    sys.exit(f"other_rounding.sh: OpenBLAS runs {arch!r} kernels, not {sys.argv[1]!r}")
print(f"numpy {np.__version__}, OpenBLAS {blas[0]['version']} with {arch} kernels, 1 thread")
PY

python -m pytest -q -p no:cacheprovider notebooks solutions tests/test_claims_*.py
