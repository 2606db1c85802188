#!/bin/sh
# Extracts the .text section of Debian's libc6:i386 (downloaded with apt-get, not installed) into
# a flat binary for the decoder benchmark and the corpus differential test.
#   scripts/extract-libc-text.sh [OUT]   (default: ${TMPDIR:-/tmp}/vtx-vmm-corpus/libc-text.bin)
# Needs apt-get, dpkg-deb and objcopy. As root it enables the i386 architecture if needed
# (dpkg --add-architecture i386 && apt-get update). Exit status 0 on success, 1 if unavailable.
set -eu
OUT=${1:-${TMPDIR:-/tmp}/vtx-vmm-corpus/libc-text.bin}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$(dirname "$OUT")"

if ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx i386; then
  if [ "$(id -u)" = 0 ]; then
    dpkg --add-architecture i386
    apt-get update -qq || true
  else
    echo "extract-libc-text: the i386 architecture is not enabled (run as root, or: dpkg --add-architecture i386 && apt-get update)" >&2
    exit 1
  fi
fi
cd "$WORK"
# apt drops privileges to _apt for downloads; give it a directory it may write to.
chmod 777 "$WORK"
if ! apt-get download -qq libc6:i386 >/dev/null 2>&1; then
  echo "extract-libc-text: apt-get download libc6:i386 failed" >&2
  exit 1
fi
dpkg-deb -x libc6_*_i386.deb root
LIBC=$(find root -name 'libc.so.6' | head -n 1)
[ -n "$LIBC" ] || { echo "extract-libc-text: no libc.so.6 in the package" >&2; exit 1; }
objcopy -O binary --only-section=.text "$LIBC" "$OUT"
ADDR=$(objdump -h "$LIBC" | awk '$2 == ".text" { print $4 }')
echo "$OUT $(stat -c %s "$OUT") bytes, .text at 0x$ADDR ($(basename "$(ls libc6_*_i386.deb)"))"
