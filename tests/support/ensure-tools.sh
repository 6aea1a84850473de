#!/usr/bin/env bash
# `npm test` needs poppler (pdftotext, pdftoppm, pdfinfo) to read certificates back as a person's
# tools would, and curl to run the README's walkthrough as a person pastes it. Installs them from
# Debian's packages when missing (as root), else says what to do.
set -euo pipefail
if command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v pdfinfo >/dev/null && command -v curl >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing poppler-utils (pdftotext, pdftoppm) and curl for the tests..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils curl >/dev/null
else
  echo "The tests need poppler (pdftotext, pdftoppm, pdfinfo) and curl: install them with your system's packages (Debian: apt-get install -y poppler-utils curl; macOS: brew install poppler)" >&2
  exit 1
fi
