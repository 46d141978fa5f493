#!/usr/bin/env bash
# Header facts of the formats Skia does not decode (HEIF, AVIF, TIFF, camera RAW, JPEG XL, JPEG 2000, PSD, Netpbm, CUR),
# one command, one run, the same files for every tool (page cache warm): imagemeta scan --no-hash (NativeAOT, one
# thread) vs exiftool -fast2 -j (the same fields) and exiv2 -ps (its summary; exiv2 reads no JPEG XL, JPEG 2000
# size, Netpbm or CUR, so it answers fewer of them). The corpus: the test corpus's files of these formats, as hard
# links up to the file count. Each command runs once untimed, then three times; the best time is kept.
# Usage: bench/extractor/formats.sh [file-count] (default 2000).
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-2000}
results=bench/results
corpus=$results/formats-links-$count
mkdir -p "$results"

missing=()
command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
command -v exiv2 >/dev/null || missing+=(exiv2)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

dotnet publish -c Release -r linux-x64 -p:PublishAot=true -v q --nologo -o "$results/imagemeta" tools/imagemeta/imagemeta.csproj >/dev/null
source_dir=tests/ImageMeta.Extractor.Tests/corpus
mapfile -t sources < <(find "$source_dir" -type f \( -name '*.heic' -o -name '*.heif' -o -name '*.avif' -o -name '*.tif' -o -name '*.tiff' \
  -o -name '*.dng' -o -name '*.cr2' -o -name '*.cr3' -o -name '*.nef' -o -name '*.raf' -o -name '*.rw2' -o -name '*.jxl' -o -name '*.jp2' \
  -o -name '*.j2k' -o -name '*.j2c' -o -name '*.psd' -o -name '*.pbm' -o -name '*.pgm' -o -name '*.ppm' -o -name '*.pam' -o -name '*.cur' \) | LC_ALL=C sort)
rm -rf "$corpus" && mkdir -p "$corpus"
for ((i = 0; i < count; i++)); do
  source=${sources[i % ${#sources[@]}]}
  ln "$source" "$corpus/$(printf '%05d' "$i")-$(basename "$source")"
done
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
cat "${sources[@]}" > /dev/null

# shellcheck source=bench/extractor/measure.sh
source bench/extractor/measure.sh

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
fields=(-FileType -MIMEType -ImageWidth -ImageHeight -Orientation -Make -Model -LensModel -DateTimeOriginal -OffsetTimeOriginal
        -ExposureTime -FNumber -ISO -FocalLength -GPSLatitude -GPSLongitude -GPSAltitude)
read -r t_nh rss_nh < <(measure formats-nohash "$results/imagemeta/imagemeta" scan --jsonl --no-hash --parallel 1 "$corpus")
read -r t_ex rss_ex < <(measure formats-exiftool exiftool -fast2 -j -q "${fields[@]}" "$corpus")
read -r t_e2 rss_e2 < <(measure formats-exiv2 sh -c "exiv2 -q -ps \"$corpus\"/* 2>/dev/null; true")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ok=$(grep -c '"ok":true' "$results/formats-nohash.out" || true)
read_nh=$(grep -o '[0-9.]* MB read' "$results/formats-nohash.err" | cut -d' ' -f1)
exiv2_sized=$(grep -c 'Image size *: [1-9]' "$results/formats-exiv2.out" || true)
echo "$count files (${#sources[@]} distinct, hard links), $((bytes / 1000000)) MB; imagemeta read ${read_nh} MB of them and read $ok;" \
  "exiv2 gave a size for $exiv2_sized; 2 cores; load $load_before before, $load_after after; $(date -u +%FT%RZ)"
echo
echo "| command (single thread) | seconds | files/s | peak RSS (MB) | vs \`--no-hash\` |"
echo "| --- | ---: | ---: | ---: | ---: |"
row() { awk -v n="$1" -v t="$2" -v r="$3" -v c="$count" -v b="$t_nh" 'BEGIN {
  printf "| %s | %.2f | %.0f | %.0f | %s |\n", n, t, c / t, r / 1024, (t == b ? "—" : sprintf("%.1f× slower", t / b)) }'; }
row '`imagemeta scan --jsonl --no-hash --parallel 1`' "$t_nh" "$rss_nh"
row '`exiftool -fast2 -j` (the same fields)' "$t_ex" "$rss_ex"
row '`exiv2 -ps`' "$t_e2" "$rss_e2"
