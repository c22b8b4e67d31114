#!/usr/bin/env bash
# Installs Debian's chromium (and fonts for Korean and emoji, so screenshots
# read well) for the browser e2e test when missing. Never downloads a browser
# any other way.
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk fonts-noto-color-emoji)
if [ -x /usr/bin/chromium ] && dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "ensure-chromium: installing ${PACKAGES[*]} from the OS packages" >&2
if ! $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi
test -x /usr/bin/chromium
