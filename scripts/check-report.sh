#!/usr/bin/env bash
# Checks that a run's report.html renders in a real browser: simulates the
# smoke scenario, then loads its report.html in headless Chromium through
# the DevTools protocol (scripts/checkreport, on chromedp, in a module of
# its own) and fails on any console error, any image that did not decode,
# any request for something outside the page, or an image count other than
# the number of charts.
#
# Installs Debian's chromium if it is missing (CI runs as root, with
# Debian's mirror). SCREENSHOT=FILE keeps a full-page screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "check-report: chromium is not installed; as root this script installs it (apt-get install chromium)" >&2
    exit 1
  fi
  echo "== installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  chrome=$(command -v chromium)
fi
"$chrome" --version 2>/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./cmd/sim run scenarios/smoke.yaml --out "$tmp/run" >/dev/null
charts=$(find "$tmp/run" -maxdepth 1 -name '*.png' | wc -l)
# checkreport is a module of its own (chromedp stays out of Fulcrum's).
(cd scripts/checkreport && go build -o "$tmp/checkreport" .)
shot=${SCREENSHOT:-$tmp/report.png}
case $shot in /*) ;; *) shot=$PWD/$shot ;; esac
"$tmp/checkreport" -chrome "$chrome" -images "$charts" -screenshot "$shot" "$tmp/run/report.html"
