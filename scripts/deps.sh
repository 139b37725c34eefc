#!/usr/bin/env bash
# scripts/deps.sh: installs the Debian packages the tests need, once.
#
# Called by `make test`, `make race` and .ci/run before any test runs. It
# checks each tool, installs only what is missing (as root, or through sudo
# when that works without a password) and says in one line what it installs.
# When it cannot install, it stops at once with the exact apt-get line to run.
#
#   scripts/deps.sh          the test tools
#   scripts/deps.sh --check  only report; exit 1 when something is missing
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have xmlsec1 || need+=(xmlsec1)
have softhsm2-util || need+=(softhsm2)
have pdftoppm || need+=(poppler-utils) # pdftoppm, pdftotext, pdfsig
have zbarimg || need+=(zbar-tools)
have curl || need+=(curl ca-certificates)
have gcc || need+=(gcc libc6-dev)
have git || need+=(git)
have openssl || need+=(openssl)
# headless Chromium: the locker's browser test (chromedp) drives it.
have chromium || need+=(chromium)
# libcrypto.so.3: the OpenSSL signer loads it (signer/openssl.go).
compgen -G "${DEPS_LIBCRYPTO_GLOB:-/usr/lib/*/libcrypto.so.3}" >/dev/null || need+=(libssl3)
# DEPS_POSTGRES_GLOB lets the script's own test point elsewhere.
compgen -G "${DEPS_POSTGRES_GLOB:-/usr/lib/postgresql/*/bin/initdb}" >/dev/null || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
line="apt-get install -y --no-install-recommends ${need[*]}"
if [ "${1:-}" = "--check" ]; then
  echo "deps: missing; run: $line" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if have sudo && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "deps: the tests need ${need[*]}; not root and no sudo, so install them yourself:" >&2
    echo "  sudo apt-get update && sudo $line" >&2
    exit 1
  fi
fi
if ! have apt-get; then
  echo "deps: the tests need ${need[*]} and this machine has no apt-get; install the equivalent packages" >&2
  exit 1
fi

echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  tail -20 "$log" >&2
  echo "deps: installing failed; run: $line" >&2
  exit 1
fi
