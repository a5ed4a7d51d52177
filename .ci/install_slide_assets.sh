#!/usr/bin/env bash
# From the npm registry, pinned: reveal.js, require.js, jQuery and MathJax for offline slide
# decks, and axe-core for the browser tests' accessibility checks.
# The versions are pinned in nnlesson/tools/slides.py (ASSET_VERSIONS, TEST_ASSET_VERSIONS); they
# go to the cache that `nnlesson slides` and the tests read ($NNLESSON_SLIDE_ASSETS, default
# ~/.cache/nnlesson/slide-assets).
# Needs the nnlesson package installed (pip install -e .) and npm; installs Debian's npm
# when it is missing and we are root (CI runs as root on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install_slide_assets: npm is missing; install Node.js and npm" \
             "(Debian: apt-get install -y npm) and run this script again" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y npm
fi

python -c "
from nnlesson.tools.slides import ASSET_VERSIONS, TEST_ASSET_VERSIONS, axe_core_path, fetch_assets
print('install_slide_assets:', fetch_assets(packages={**ASSET_VERSIONS, **TEST_ASSET_VERSIONS}))
print('install_slide_assets: axe-core at', axe_core_path())
"
