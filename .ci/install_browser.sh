#!/usr/bin/env bash
# Debian's Chromium, for the browser tests (tests/browser/) and `nnlesson slides --pdf`.
# Never a browser downloaded by Playwright: the tests launch /usr/bin/chromium.
# Does nothing when Chromium is already there; otherwise needs root (CI runs as root).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "install_browser: /usr/bin/chromium is already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser: /usr/bin/chromium is missing; run this script as root" \
         "(it runs: apt-get update && apt-get install -y chromium)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y chromium
test -x /usr/bin/chromium
echo "install_browser: installed /usr/bin/chromium"
