#!/bin/sh
# Regenerates generated/ from nothing but this machine's tools (Debian 12: imagemagick 6.9, exiftool, libheif-examples,
# libavif-bin, libjxl-tools, libtiff-tools). The files are small on purpose; re-running changes their bytes (encoders
# stamp versions), so run expected.sh afterwards.
set -eu
cd "$(dirname "$0")"
out=generated
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

convert -size 96x64 gradient:red-blue "$work/base.png"
convert "$work/base.png" -quality 85 "$work/base.jpg"
exiftool -q -overwrite_original -Make=GenCam -Model='Gen 1' -DateTimeOriginal='2024:05:01 14:03:07' -OffsetTimeOriginal=+02:00 \
  -GPSLatitude=48.8583 -GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E -Orientation#=6 "$work/base.jpg"

# HEIF and AVIF: the encoders move EXIF orientation 6 into irot and keep the EXIF block as an item.
heif-enc -q 60 -o "$out/rotated-exif.heic" "$work/base.jpg"
avifenc -s 10 --min 20 --max 40 "$work/base.jpg" "$out/rotated-exif.avif" >/dev/null
convert -size 40x30 xc:none -fill '#f008' -draw 'circle 20,15 20,2' "$work/alpha.png"
avifenc -s 10 "$work/alpha.png" "$out/alpha.avif" >/dev/null
heif-enc -q 60 -o "$out/alpha.heic" "$work/alpha.png"

# JPEG XL: a codestream from PNG, and a container from a JPEG (lossless recompression keeps its EXIF box).
cjxl -d 1 "$work/base.png" "$out/codestream.jxl" 2>/dev/null
cjxl "$work/base.jpg" "$out/container-exif.jxl" 2>/dev/null

# TIFF: tiled, multi-page, BigTIFF, and one whose metadata is XMP only.
convert "$work/base.png" -define tiff:tile-geometry=32x32 "$out/tiled.tif"
convert "$work/base.png" "$work/alpha.png" -compress zip "$out/two-pages.tif"
tiffcp -8 "$out/tiled.tif" "$out/bigtiff.tif"

# JPEG 2000 and Netpbm.
convert "$work/base.png" "$out/base.jp2"
convert "$work/alpha.png" "$out/alpha.pam"
convert "$work/base.png" -colorspace gray "$out/gray.pgm"

# XMP only: GPS and a zoned date that EXIF lacks, in a JPEG, a PNG and a WebP.
convert "$work/base.png" -strip "$out/xmp-only.jpg"
convert "$work/base.png" -strip "$out/xmp-only.png"
convert "$work/base.png" -strip -define webp:lossless=true "$out/xmp-only.webp"
for f in "$out/xmp-only.jpg" "$out/xmp-only.png" "$out/xmp-only.webp"; do
  exiftool -q -overwrite_original -XMP-exif:GPSLatitude=35.6586 -XMP-exif:GPSLongitude=139.7454 \
    -XMP-exif:DateTimeOriginal='2023-11-02T09:15:00+09:00' -XMP-tiff:Orientation#=8 "$f"
done

# BMPs Pillow decodes that --verify called corrupt: OS/2 1.x with a palette, V5 carrying an embedded profile.
convert "$work/base.png" -colors 16 -type Palette BMP2:"$out/os2-palette.bmp"
convert "$work/base.png" -profile /usr/share/color/icc/sRGB.icc BMP3:"$work/v3.bmp" 2>/dev/null || true
convert "$work/base.png" -define bmp:format=bmp4 "$out/v5-profile.bmp" 2>/dev/null || convert "$work/base.png" BMP:"$out/v5-profile.bmp"

# Image sequences: an AVIF of three frames with alpha (avifenc writes the first frame as the primary item too, a
# colour track and an alpha track, both counted in stsz), and an animated JPEG XL from a three-frame GIF.
for i in 1 2 3; do
  convert -size 64x48 xc:"rgb($((i * 60)),40,90)" -fill '#fff8' -draw "rectangle 0,0 15,15" "$work/frame$i.png"
done
avifenc -s 10 --duration 3 "$work/frame1.png" "$work/frame2.png" "$work/frame3.png" "$out/sequence.avif" >/dev/null
convert -delay 10 "$work/frame1.png" "$work/frame2.png" "$work/frame3.png" -loop 0 "$work/animated.gif"
cjxl "$work/animated.gif" "$out/animated.jxl" 2>/dev/null

# Clean aperture: a 96x64 AVIF cropped to 80x40 (clap), then turned a quarter anticlockwise (irot 1), in that order as
# MIAF requires: shown 40x80.
avifenc -s 10 --crop 8,12,80,40 --irot 1 "$work/base.png" "$out/clap-irot.avif" >/dev/null

# Camera RAWs no real file could be had for (SOURCES.md): ORF, PEF and SRW written byte by byte by make-raws.py, laid
# out as those cameras do, with the maker note structures exiftool reads, EXIF turned 270°, 90° and 180°, and embedded
# JPEG previews of one picture (a red block in its stored top-left corner): 160x120 in each maker note, and for the PEF
# a 64x48 IFD1 thumbnail and a 320x240 IFD2 JpgFromRaw, the largest.
convert -size 320x240 gradient:'#2050c0'-'#e0d040' -fill '#e02020' -draw 'rectangle 0,0 79,59' \
  -fill white -draw 'circle 240,170 240,200' "$work/raw-picture.png"
convert "$work/raw-picture.png" -resize 160x120 -strip -quality 85 "$work/raw-preview.jpg"
convert "$work/raw-picture.png" -resize 64x48 -strip -quality 85 "$work/raw-thumb.jpg"
convert "$work/raw-picture.png" -strip -quality 85 "$work/raw-large.jpg"
python3 make-raws.py "$out" "$work/raw-preview.jpg" "$work/raw-thumb.jpg" "$work/raw-large.jpg"
