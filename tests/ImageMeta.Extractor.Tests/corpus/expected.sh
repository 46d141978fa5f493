#!/bin/sh
# Writes expected.tsv: what exiftool (Debian 12's 12.57) says about every corpus file, in the extractor's terms, for
# CorpusTests to compare with. Run once after adding files; the table is checked in. Where exiftool is not the
# reference (it gives no HEIF mirror, clean aperture crop, JPEG XL codestream orientation, or frame counts beyond GIF and APNG), by-hand.tsv overrides a
# column and says why; this script applies it. Needs exiftool and python3.
set -eu
cd "$(dirname "$0")"
find exiftool pillow libvips metadata-extractor-images evanoberholster-imagemeta bep-imagemeta generated -type f | LC_ALL=C sort > "${TMPDIR:-/tmp}/corpus-files"
exiftool -q -q -j -n -G1 -a -FileType -Composite:ImageSize -IFD0:Orientation -XMP-tiff:Orientation -IFD0:Make -IFD0:Model \
  -XMP-tiff:Make -XMP-tiff:Model -ExifIFD:DateTimeOriginal -IFD0:DateTimeOriginal -ExifIFD:CreateDate -XMP-exif:DateTimeOriginal \
  -XMP-photoshop:DateCreated -XMP-xmp:CreateDate -Composite:GPSLatitude -Composite:GPSLongitude -XMP-exif:GPSLatitude -XMP-exif:GPSLongitude \
  -GIF:FrameCount -PNG:AnimationFrames \
  -@ "${TMPDIR:-/tmp}/corpus-files" | python3 -c '
import json, sys, csv
formats = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "ICO": "ico", "CUR": "cur", "HEIC": "heif",
    "HEIF": "heif", "AVIF": "avif", "TIFF": "tiff", "BTF": "tiff", "JXL": "jxl", "JP2": "jp2", "J2C": "jp2", "PSD": "psd",
    "PPM": "pnm", "PGM": "pnm", "PBM": "pnm", "PAM": "pnm", "JXL Codestream": "jxl", "Extended WEBP": "webp"}
overrides = {}
for row in csv.reader(open("by-hand.tsv"), delimiter="\t"):
    if row and not row[0].startswith("#"):
        overrides.setdefault(row[0], {})[row[1]] = row[2]
def first(d, *keys):
    for k in keys:
        if d.get(k) not in (None, ""):
            return str(d[k]).strip()
    return ""
out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
out.writerow(["file", "format", "width", "height", "orientation", "make", "model", "takenAt", "latitude", "longitude",
    "displayWidth", "displayHeight", "frames"])
for d in json.load(sys.stdin):
    kind = d.get("File:FileType", "")
    if d["SourceFile"] in overrides and not kind:
        kind = overrides[d["SourceFile"]].get("format", "")
    fmt = formats.get(kind, kind.lower())
    size = str(d.get("Composite:ImageSize", "")).split()
    taken = first(d, "ExifIFD:DateTimeOriginal", "IFD0:DateTimeOriginal", "ExifIFD:CreateDate", "XMP-exif:DateTimeOriginal",
        "XMP-photoshop:DateCreated", "XMP-xmp:CreateDate")
    taken = taken[:10].replace(":", "-") + "T" + taken[11:19] if len(taken) >= 19 else ""
    row = {"file": d["SourceFile"], "format": fmt, "width": size[0] if size else "", "height": size[1] if len(size) > 1 else "",
        "orientation": first(d, "IFD0:Orientation", "XMP-tiff:Orientation") or "1",
        "make": first(d, "IFD0:Make", "XMP-tiff:Make"), "model": first(d, "IFD0:Model", "XMP-tiff:Model"), "takenAt": taken,
        "latitude": first(d, "Composite:GPSLatitude", "XMP-exif:GPSLatitude"), "longitude": first(d, "Composite:GPSLongitude", "XMP-exif:GPSLongitude")}
    row["displayWidth"], row["displayHeight"], row["frames"] = "", "", first(d, "GIF:FrameCount", "PNG:AnimationFrames") or "1"
    row.update(overrides.get(d["SourceFile"], {}))
    # Shown size: the stored one, turned by the orientation, unless by-hand.tsv gives it (a HEIF clean aperture).
    turned = row["orientation"] in ("5", "6", "7", "8")
    row["displayWidth"] = row["displayWidth"] or (row["height"] if turned else row["width"])
    row["displayHeight"] = row["displayHeight"] or (row["width"] if turned else row["height"])
    out.writerow(row.values())
' > expected.tsv
echo "expected.tsv: $(($(wc -l < expected.tsv) - 1)) files"
