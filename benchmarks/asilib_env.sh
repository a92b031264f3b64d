#!/usr/bin/env bash
# Build the aurora-asi-lib 0.21.1 baseline in its own virtual environment and print its python path.
#
# Why a separate venv: asilib 0.21.1 pins numpy < 2, and its *-imager-readfile dependencies pull a
# numpy 1.x that breaks the numpy-2 pandas in aurorax's own environment. The benchmarks run asilib
# in a subprocess with this venv's python, so the two stacks never share a process.
#
# Usage: benchmarks/asilib_env.sh            (idempotent; re-runs are instant once built)
# Environment: ASILIB_VENV   venv location (default ${XDG_CACHE_HOME:-~/.cache}/aurorax/asilib-venv)
#              PYTHON        interpreter used to create the venv (default python3)
set -euo pipefail

VENV="${ASILIB_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aurorax/asilib-venv}"
PYTHON="${PYTHON:-python3}"
# The stamp names what the venv was proven to import: a venv built by an older version of this
# script (without h5py, so `import asilib.asi` failed) has another stamp and is topped up here.
STAMP="$VENV/.aurorax-asilib-0.21.1-asi-ok"

if [[ -f "$STAMP" ]]; then
    echo "$VENV/bin/python"
    exit 0
fi

mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV" >&2
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --quiet)
"${PIP[@]}" --upgrade pip >&2

# asilib's listed requirements, with numpy < 2 and a pandas built against it. The three
# *-imager-readfile readers are installed without their own dependency pins (which demand
# source builds that refuse Python >= 3.11); their runtime needs are listed here: numpy, opencv
# and h5py (trex-imager-readfile imports h5py and cv2 at import time, and `import asilib.asi`
# imports trex-imager-readfile; asilib.asi.lamp_phantom imports h5py too).
"${PIP[@]}" "numpy>=1.26,<2" "pandas>=2.1,<2.3" "scipy>=1.10,<1.14" "matplotlib>=3.7,<3.9" \
    "cdflib>=1.3" "aacgmv2" "pymap3d" "pyshp>=2.3" "ffmpeg-python" "requests" "beautifulsoup4" \
    "wheel" "opencv-python-headless>=4.8,<4.11" "h5py>=3.1,<4" >&2
"${PIP[@]}" --no-deps "themis-imager-readfile>=1.2.1,<2" "rego-imager-readfile>=1.2.0,<2" \
    "trex-imager-readfile>=1.5.1,<2" >&2
"${PIP[@]}" --no-deps "aurora-asi-lib==0.21.1" >&2

# Prove the baseline imports (the package, its imager loaders and every reader they import) before
# marking the venv as built.
"$VENV/bin/python" -c "
import asilib, asilib.asi, asilib.asi.lamp_phantom, numpy
assert asilib.__version__ == '0.21.1', asilib.__version__
assert int(numpy.__version__.split('.')[0]) < 2, numpy.__version__
" >&2
touch "$STAMP"
echo "$VENV/bin/python"
