#!/bin/sh
# Writes reference/: each real phone HEIC decoded by libheif's heif-convert (which applies irot, imir and clap, as HEIF
# says, and never the EXIF orientation), scaled to 48 pixels on the long side. FallbackThumbnailTests compares the
# extractor's thumbnails with them to prove that the photos come out the right way up. Needs libheif-examples and
# imagemagick; run after adding a phone file, the PNGs are checked in.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p reference
for f in metadata-extractor-images/*.heic; do
  name=$(basename "$f" .heic)
  heif-convert -q 95 "$f" "$work/$name.jpg" >/dev/null
  convert "$work/$name.jpg" -strip -resize 48x48 "reference/$name.png"
done
ls -l reference
