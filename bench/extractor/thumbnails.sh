#!/usr/bin/env bash
# Thumbnail benchmark: the extractor's ThumbnailRenderer (bench/thumbnails) vs vipsthumbnail vs ImageMagick, each
# making a WebP (quality 80) of at most 320x320 from every file of the same mixed corpus (bench/extractor's, 15 of
# 20 camera JPEGs of 1-12 MP), single-threaded and with 2 workers, in one run, warm cache, best of three.
# Peak RSS is /usr/bin/time's maximum resident set of the largest process. On a shared machine the CPU seconds
# (user + sys of every process) compare the work each tool does better than the wall clock; both are printed, and
# the best run is the one with the fewest CPU seconds.
# Usage: bench/extractor/thumbnails.sh [file-count] (default 200).
#        bench/extractor/thumbnails.sh --formats [per-format] (default 8): the formats SkiaSharp does not decode
#        (HEIC, AVIF, TIFF, DNG), made from the largest camera JPEGs of the corpus, one row per format and tool,
#        single-threaded (see formats_bench below).
set -euo pipefail
cd "$(dirname "$0")/../.."
formats=""
if [ "${1:-}" = "--formats" ]; then formats=${2:-8}; shift $(( $# > 1 ? 2 : 1 )); fi
count=${1:-200}
results=bench/results
corpus=$results/corpus-$count
mkdir -p "$results"

missing=()
command -v vipsthumbnail >/dev/null || missing+=(libvips-tools)
if [ -n "$formats" ]; then
  command -v heif-enc >/dev/null || missing+=(libheif-examples)
  command -v avifenc >/dev/null || missing+=(libavif-bin)
fi
[ -x /usr/bin/mogrify ] || missing+=(imagemagick)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

dotnet publish -c Release -p:PublishReadyToRun=true -r linux-x64 --self-contained false -v q --nologo \
  -o "$results/thumbnails-bench" bench/thumbnails/ImageMeta.Bench.Thumbnails.csproj >/dev/null
if [ ! -f "$corpus.complete" ]; then
  echo "writing a corpus of $count images to $corpus" >&2
  rm -rf "$corpus"
  dotnet run -c Release --project bench/extractor/ImageMeta.Bench.Corpus.csproj -- "$corpus" "$count"
  touch "$corpus.complete"
fi
files=$(find "$corpus" -type f | wc -l)
bytes=$(du -sb "$corpus" | cut -f1)
cat "$corpus"/* > /dev/null   # warm the page cache so every tool reads from memory
out=$results/thumbnails-out
list=$results/thumbnails-files.txt
find "$corpus" -type f | sort > "$list"

# One process per worker for the peers, each over its share of the files, each kept to one thread.
export VIPS_CONCURRENCY=1 MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1
imagemeta() { "$results/thumbnails-bench/ImageMeta.Bench.Thumbnails" "$corpus" "$out/$1" "$2"; }
vips() { mkdir -p "$out/$1"; xargs -P "$2" -n $(( (files + $2 - 1) / $2 )) vipsthumbnail -s 320x320 -o "$(realpath "$out/$1")/%s.webp[Q=80]" < "$list"; }
# mogrify is convert's batch form (same options, one process for many files instead of one per file); [0] is the
# first frame, as the others take.
magick() { mkdir -p "$out/$1"; xargs -P "$2" -n $(( (files + $2 - 1) / $2 )) /usr/bin/mogrify -path "$out/$1" -format webp -quality 80 -define jpeg:size=640x640 -thumbnail 320x320 < <(sed 's/$/[0]/' "$list") 2>/dev/null; }

measure() { # name, function, workers: one warm-up, then the best of three timed runs; prints "seconds cpu_seconds maxrss_kb"
  local name=$1 fn=$2 workers=$3
  rm -rf "${out:?}/$name"; "$fn" "$name" "$workers" > /dev/null 2>&1 || true
  for run in 1 2 3; do
    rm -rf "${out:?}/$name"
    /usr/bin/time -f "%e %U %S %M" -o "$results/$name.time.$run" bash -c "$(declare -f "$fn"); $(declare -p results corpus out list files); $fn $name $workers" > /dev/null 2>&1 || true
  done
  # A failing file makes xargs exit 123 and time print "Command exited ..." first: the numbers are the last line.
  for run in 1 2 3; do tail -n 1 "$results/$name.time.$run"; done | awk '{ print $1, $2 + $3, $4 }' | sort -n -k2 | head -1
  rm -f "$results/$name.time".*
}


# The new formats: from the largest camera JPEGs, HEIC (heif-enc, quality 80), AVIF (avifenc, default quality), TIFF
# (LZW) and DNG. A DNG is written here as a camera writes its preview: IFD0 is the full-size JPEG (NewSubfileType 1,
# DNGVersion, orientation 1), followed by 4 MiB standing in for sensor data, so every tool gets the same preview to
# read (ours finds the embedded JPEG; vipsthumbnail reads IFD0 through libtiff; ImageMagick hands .dng to its RAW
# delegate). One process per tool over each format's folder, single-threaded, best of three.
formats_bench() {
  local per=$1 fdir=$results/formats-$1
  if [ ! -f "$fdir.complete" ]; then
    rm -rf "$fdir"; mkdir -p "$fdir"/{heic,avif,tiff,dng}
    find "$corpus" -name '*.jpg' -printf '%s %p\n' | sort -rn | head -n "$per" | cut -d' ' -f2- | while read -r jpg; do
      base=$(basename "$jpg" .jpg)
      heif-enc -q 80 "$jpg" -o "$fdir/heic/$base.heic" >/dev/null
      avifenc -j 2 "$jpg" "$fdir/avif/$base.avif" >/dev/null
      /usr/bin/convert "$jpg" -compress lzw "$fdir/tiff/$base.tif"
      python3 - "$jpg" "$fdir/dng/$base.dng" <<'PY'
import os, struct, sys
jpeg = open(sys.argv[1], 'rb').read()
# The JPEG's size from its first SOF marker.
i = 2
while True:
    marker, length = jpeg[i + 1], struct.unpack('>H', jpeg[i + 2:i + 4])[0]
    if marker in (0xC0, 0xC1, 0xC2):
        height, width = struct.unpack('>HH', jpeg[i + 5:i + 9]); break
    i += 2 + length
entries = [(0x00FE, 4, 1, 1), (0x0100, 4, 1, width), (0x0101, 4, 1, height), (0x0103, 3, 1, 7), (0x0106, 3, 1, 6),
           (0x0111, 4, 1, None), (0x0112, 3, 1, 1), (0x0115, 3, 1, 3), (0x0116, 4, 1, height), (0x0117, 4, 1, len(jpeg)),
           (0xC612, 1, 4, struct.unpack('<I', bytes([1, 4, 0, 0]))[0])]
strip = 8 + 2 + 12 * len(entries) + 4
ifd = struct.pack('<H', len(entries))
for tag, kind, count, value in entries:
    value = strip if value is None else value
    ifd += struct.pack('<HHI', tag, kind, count) + (struct.pack('<HH', value, 0) if kind == 3 else struct.pack('<I', value))
open(sys.argv[2], 'wb').write(b'II*\0' + struct.pack('<I', 8) + ifd + struct.pack('<I', 0) + jpeg + os.urandom(4 << 20))
PY
    done
    touch "$fdir.complete"
  fi
  local fmt ext
  rows=""
  for fmt in heic avif tiff dng; do
    ext=$fmt; [ "$fmt" = tiff ] && ext=tif
    corpus_f=$fdir/$fmt; list_f=$results/formats-$fmt.txt
    find "$corpus_f" -type f | sort > "$list_f"
    cat "$corpus_f"/* > /dev/null
    local n; n=$(wc -l < "$list_f")
    ours_f() { "$results/thumbnails-bench/ImageMeta.Bench.Thumbnails" "$corpus" "$out/$1" 1; }
    vips_f() { mkdir -p "$out/$1"; xargs -n 1000 vipsthumbnail -s 320x320 -o "$(realpath "$out/$1")/%s.webp[Q=80]" < "$list"; }
    magick_f() { mkdir -p "$out/$1"; xargs -n 1000 /usr/bin/mogrify -path "$out/$1" -format webp -quality 80 -thumbnail 320x320 < <(sed 's/$/[0]/' "$list") 2>/dev/null; }
    local saved_corpus=$corpus saved_list=$list saved_files=$files
    corpus=$corpus_f; list=$list_f; files=$n
    read -r t1 c1 r1 < <(measure "f-ours-$fmt" ours_f 1)
    read -r t2 c2 r2 < <(measure "f-vips-$fmt" vips_f 1)
    read -r t3 c3 r3 < <(measure "f-magick-$fmt" magick_f 1)
    corpus=$saved_corpus; list=$saved_list; files=$saved_files
    rows+="| $fmt | ThumbnailRenderer (fallback decoder) | $n | $t1 | $(awk -v n="$n" -v t="$c1" 'BEGIN { printf "%.2f", n / (t > 0 ? t : 0.001) }') | $c1 | $(made "f-ours-$fmt") | $((r1 / 1024)) |"$'\n'
    rows+="| $fmt | vipsthumbnail -s 320x320 | $n | $t2 | $(awk -v n="$n" -v t="$c2" 'BEGIN { printf "%.2f", n / (t > 0 ? t : 0.001) }') | $c2 | $(made "f-vips-$fmt") | $((r2 / 1024)) |"$'\n'
    rows+="| $fmt | mogrify -thumbnail 320x320 | $n | $t3 | $(awk -v n="$n" -v t="$c3" 'BEGIN { printf "%.2f", n / (t > 0 ? t : 0.001) }') | $c3 | $(made "f-magick-$fmt") | $((r3 / 1024)) |"$'\n'
  done
  local biggest; biggest=$(find "$fdir/heic" -type f -printf '%s %p\n' | sort -rn | head -1 | cut -d' ' -f2-)
  printf '%s\n\n| format | tool | files | wall s | thumbnails per CPU-second | CPU s | WebP files made | peak RSS (MB) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n%s' \
    "$per files per format (the largest camera JPEGs of the corpus; HEIC up to $(identify -format '%wx%h' "$biggest" 2>/dev/null || echo '?')); $(env -u OMP_NUM_THREADS nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u +%Y-%m-%d)" "$rows" \
    | tee "$results/thumbnails-formats.md"
}
made() { find "$out/$1" -type f -name '*.webp' | wc -l; }
if [ -n "$formats" ]; then
  formats_bench "$formats"
  exit 0
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r t_im1 c_im1 rss_im1 < <(measure imagemeta-1 imagemeta 1)
read -r t_im2 c_im2 rss_im2 < <(measure imagemeta-2 imagemeta 2)
read -r t_vi1 c_vi1 rss_vi1 < <(measure vips-1 vips 1)
read -r t_vi2 c_vi2 rss_vi2 < <(measure vips-2 vips 2)
read -r t_mg1 c_mg1 rss_mg1 < <(measure magick-1 magick 1)
read -r t_mg2 c_mg2 rss_mg2 < <(measure magick-2 magick 2)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

made() { find "$out/$1" -type f -name '*.webp' | wc -l; }
rate() { awk -v n="$files" -v t="$1" 'BEGIN { printf "%.1f", n / (t > 0 ? t : 0.001) }'; }
table=$(cat <<TABLE
| tool | workers | wall s | thumbnails/s (wall) | CPU s | thumbnails per CPU-second | WebP files made | peak RSS (MB) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| ThumbnailRenderer (SkiaSharp, ReadyToRun) | 1 | $t_im1 | $(rate "$t_im1") | $c_im1 | $(rate "$c_im1") | $(made imagemeta-1) | $((rss_im1 / 1024)) |
| ThumbnailRenderer (SkiaSharp, ReadyToRun) | 2 | $t_im2 | $(rate "$t_im2") | $c_im2 | $(rate "$c_im2") | $(made imagemeta-2) | $((rss_im2 / 1024)) |
| vipsthumbnail -s 320x320 | 1 | $t_vi1 | $(rate "$t_vi1") | $c_vi1 | $(rate "$c_vi1") | $(made vips-1) | $((rss_vi1 / 1024)) |
| vipsthumbnail -s 320x320 | 2 | $t_vi2 | $(rate "$t_vi2") | $c_vi2 | $(rate "$c_vi2") | $(made vips-2) | $((rss_vi2 / 1024)) |
| mogrify -define jpeg:size=640x640 -thumbnail 320x320 | 1 | $t_mg1 | $(rate "$t_mg1") | $c_mg1 | $(rate "$c_mg1") | $(made magick-1) | $((rss_mg1 / 1024)) |
| mogrify -define jpeg:size=640x640 -thumbnail 320x320 | 2 | $t_mg2 | $(rate "$t_mg2") | $c_mg2 | $(rate "$c_mg2") | $(made magick-2) | $((rss_mg2 / 1024)) |
TABLE
)
summary="$files files, $((bytes / 1024 / 1024)) MiB; $(env -u OMP_NUM_THREADS nproc) cores; load average $load_before before, $load_after after; $(date -u +%Y-%m-%d)"
printf '%s\n\n%s\n' "$summary" "$table" | tee "$results/thumbnails.md"
