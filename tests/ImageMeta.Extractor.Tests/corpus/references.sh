#!/bin/sh
# Writes reference/: each real phone HEIC decoded by libheif's heif-convert (which applies irot, imir and clap, as HEIF
# says, and never the EXIF orientation), scaled to 48 pixels on the long side. FallbackThumbnailTests compares the
# extractor's thumbnails with them to prove that the photos come out the right way up. Then each real camera RAW that
# carries a whole embedded JPEG: the largest one exiftool extracts (JpgFromRaw, else PreviewImage, else ThumbnailImage), turned by the
# RAW's own IFD0 Orientation as exiftool reads it, at the same size. Needs libheif-examples, exiftool and imagemagick;
# run after adding a phone or RAW file, the PNGs are checked in.
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
for f in evanoberholster-imagemeta/Sony-SLT-A55V.arw bep-imagemeta/Sony-DSLR-A330.arw file-type/fixture-sony-zv-e10.arw \
  generated/olympus.orf generated/pentax.pef generated/samsung.srw; do
  name=$(basename "$f" | sed 's/\.[^.]*$//')
  exiftool -q -q -b -JpgFromRaw "$f" > "$work/$name.jpg" || true
  [ -s "$work/$name.jpg" ] || exiftool -q -q -b -PreviewImage "$f" > "$work/$name.jpg" || true
  [ -s "$work/$name.jpg" ] || exiftool -q -q -b -ThumbnailImage "$f" > "$work/$name.jpg"
  case $(exiftool -q -q -s3 -n -IFD0:Orientation "$f") in
    2) turn="-flop" ;; 3) turn="-rotate 180" ;; 4) turn="-flip" ;; 5) turn="-transpose" ;;
    6) turn="-rotate 90" ;; 7) turn="-transverse" ;; 8) turn="-rotate 270" ;; *) turn="" ;;
  esac
  # shellcheck disable=SC2086 # $turn is zero, one or two words
  convert "$work/$name.jpg" $turn -strip -resize 48x48 "reference/$name.png"
done
ls -l reference
