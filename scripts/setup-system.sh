#!/usr/bin/env bash
# Installs the system (apt) packages codesift needs; idempotent, and runs `apt-get update` only when
# a package is missing and apt has no package lists yet or cannot find it.
#   bubblewrap: the sandbox's fallback when the kernel refuses codesift's own isolation.
#   util-linux: setpriv, used by the tests to run the escape corpus as an unprivileged user.
#   chromium, chromium-driver: the HTML report is checked in a real headless browser.
set -euo pipefail

PACKAGES=(bubblewrap util-linux chromium chromium-driver)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: ${PACKAGES[*]} already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-system: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "setup-system: installed ${missing[*]}"
