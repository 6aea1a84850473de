#!/usr/bin/env bash
# `npm test` needs poppler (pdftotext, pdftoppm, pdfinfo) to read certificates back as a person's
# tools would. Installs it from Debian's packages when missing (as root), else says what to do.
set -euo pipefail
if command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v pdfinfo >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing poppler-utils (pdftotext, pdftoppm) for the certificate tests..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
else
  echo "The certificate tests need poppler-utils: sudo apt-get install -y poppler-utils (or brew install poppler)" >&2
  exit 1
fi
