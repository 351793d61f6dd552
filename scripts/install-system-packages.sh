#!/usr/bin/env bash
# System packages for PDF reports and the browser tests (Debian/Ubuntu):
#   chromium            headless browser that prints the PDFs and runs the browser tests
#   poppler-utils       pdftoppm, pdffonts, pdftotext (the tests look at the PDFs with them)
#   fonts-noto-cjk      CJK font for the report text (HTML and screenshots)
#   fonts-wqy-microhei  TrueType CJK font: embedded by name in the PDFs (see docs/pdf.md)
#
# Idempotent and quiet when everything is installed already (no apt-get update then).
# Installs only as root, noninteractively; otherwise prints the command to run and
# exits 0, so `make test` on a developer's machine still runs (the browser tests then
# fail with the same hint unless EVALKIT_SKIP_BROWSER=1).
set -euo pipefail

PACKAGES=(chromium poppler-utils fonts-noto-cjk fonts-wqy-microhei)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-packages: not a Debian-like system; install Chromium (or Chrome), poppler-utils and a CJK font yourself" >&2
    exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-packages: missing ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
    exit 0
fi

echo "install-system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q "${missing[@]}" >/dev/null
