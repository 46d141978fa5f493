#!/usr/bin/env bash
# Extraction benchmark, one command, one run, the same corpus for every tool (page cache warm):
#   header facts (imagemeta scan --no-hash) vs exiftool -fast2 -j, exiv2 -ps and identify -ping, single thread;
#   the hashed scan vs openssl dgst -sha256 over the same files; 2 workers vs 1; peak RSS of both modes,
#   also on a 250 MB file. Each command runs once untimed, then three times; the best time is kept.
# Usage: bench/extractor/run.sh [file-count] (default 4200: hard links to 300 distinct files).
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-4200}
distinct=300
results=bench/results
source_corpus=$results/corpus-$distinct
corpus=$results/corpus-links-$count
huge=$results/huge/huge.png
mkdir -p "$results"

missing=()
command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
command -v exiv2 >/dev/null || missing+=(exiv2)
command -v identify >/dev/null || missing+=(imagemagick)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# NativeAOT: a scan is one short process, so ahead-of-time compiled code is what a user should run.
dotnet publish -c Release -r linux-x64 -p:PublishAot=true -v q --nologo \
  -o "$results/imagemeta" tools/imagemeta/imagemeta.csproj >/dev/null
if [ ! -f "$source_corpus.complete" ]; then
  echo "writing $distinct distinct images to $source_corpus" >&2
  rm -rf "$source_corpus"
  dotnet run -c Release --project bench/extractor/ImageMeta.Bench.Corpus.csproj -- "$source_corpus" "$distinct"
  touch "$source_corpus.complete"
fi
if [ ! -f "$corpus.complete" ]; then
  rm -rf "$corpus" && mkdir -p "$corpus"
  mapfile -t sources < <(ls "$source_corpus" | sort)
  for ((i = 0; i < count; i++)); do
    name=${sources[i % ${#sources[@]}]}
    ln "$source_corpus/$name" "$corpus/$(printf '%05d' "$i")-$name"
  done
  touch "$corpus.complete"
fi
if [ ! -f "$huge" ]; then
  mkdir -p "$(dirname "$huge")"
  dotnet run -c Release --project bench/extractor/ImageMeta.Bench.Corpus.csproj -- --huge "$huge"
fi
files=$(find "$corpus" -type f | wc -l)
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
cat "$source_corpus"/* "$huge" > /dev/null   # warm the page cache so every tool reads from memory

imagemeta=("$results/imagemeta/imagemeta")
# shellcheck source=bench/extractor/measure.sh
source bench/extractor/measure.sh

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
fields=(-FileType -MIMEType -ImageWidth -ImageHeight -Orientation -Make -Model -LensModel -DateTimeOriginal -OffsetTimeOriginal
        -ExposureTime -FNumber -ISO -FocalLength -GPSLatitude -GPSLongitude -GPSAltitude -FrameCount)
read -r t_nh1 rss_nh1 < <(measure nohash-1 "${imagemeta[@]}" scan --jsonl --no-hash --parallel 1 "$corpus")
read -r t_h1 rss_h1 < <(measure hashed-1 "${imagemeta[@]}" scan --jsonl --parallel 1 "$corpus")
read -r t_nh2 rss_nh2 < <(measure nohash-2 "${imagemeta[@]}" scan --jsonl --no-hash --parallel 2 "$corpus")
read -r t_h2 rss_h2 < <(measure hashed-2 "${imagemeta[@]}" scan --jsonl --parallel 2 "$corpus")
read -r t_ex rss_ex < <(measure exiftool exiftool -fast2 -j -q "${fields[@]}" "$corpus")
read -r t_e2 rss_e2 < <(measure exiv2 sh -c "exiv2 -q -ps \"$corpus\"/* 2>/dev/null; true")
read -r t_id rss_id < <(measure identify identify -ping "$corpus"/*)
read -r t_ssl rss_ssl < <(measure openssl openssl dgst -sha256 "$corpus"/*)
read -r t_start rss_start < <(measure start "${imagemeta[@]}" --version)
read -r t_hugenh rss_hugenh < <(measure huge-nohash "${imagemeta[@]}" scan --jsonl --no-hash "$huge")
read -r t_hugeh rss_hugeh < <(measure huge-hashed "${imagemeta[@]}" scan --jsonl "$huge")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ok=$(grep -c '"ok":true' "$results/hashed-1.out" || true)
read_nh=$(grep -o '[0-9.]* MB read' "$results/nohash-1.err" | cut -d' ' -f1)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
rate() { awk -v n="$files" -v t="$1" 'BEGIN { printf "%.0f", n / (t > 0 ? t : 0.001) }'; }
mbs() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.0f", b / 1e6 / (t > 0 ? t : 0.001) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 0.001) }'; }
table=$(cat <<TABLE
| command (single thread unless named) | seconds | files/s | MB/s | peak RSS (MB) | vs \`--no-hash\` |
| --- | ---: | ---: | ---: | ---: | ---: |
| \`imagemeta scan --jsonl --no-hash --parallel 1\` | $t_nh1 | $(rate "$t_nh1") | $(mbs "$t_nh1") | $((rss_nh1 / 1024)) | — |
| \`exiftool -fast2 -j\` (the same fields) | $t_ex | $(rate "$t_ex") | $(mbs "$t_ex") | $((rss_ex / 1024)) | $(ratio "$t_nh1" "$t_ex")× slower |
| \`exiv2 -ps\` | $t_e2 | $(rate "$t_e2") | $(mbs "$t_e2") | $((rss_e2 / 1024)) | $(ratio "$t_nh1" "$t_e2")× slower |
| \`identify -ping\` | $t_id | $(rate "$t_id") | $(mbs "$t_id") | $((rss_id / 1024)) | $(ratio "$t_nh1" "$t_id")× slower |
| \`imagemeta scan --jsonl --parallel 1\` (hashed) | $t_h1 | $(rate "$t_h1") | $(mbs "$t_h1") | $((rss_h1 / 1024)) | |
| \`openssl dgst -sha256\` | $t_ssl | $(rate "$t_ssl") | $(mbs "$t_ssl") | $((rss_ssl / 1024)) | hashed scan at $(ratio "$t_h1" "$t_ssl")× openssl's throughput |
| \`imagemeta scan --jsonl --no-hash --parallel 2\` | $t_nh2 | $(rate "$t_nh2") | $(mbs "$t_nh2") | $((rss_nh2 / 1024)) | 2 workers: $(ratio "$t_nh2" "$t_nh1")× one |
| \`imagemeta scan --jsonl --parallel 2\` (hashed) | $t_h2 | $(rate "$t_h2") | $(mbs "$t_h2") | $((rss_h2 / 1024)) | 2 workers: $(ratio "$t_h2" "$t_h1")× one |
| \`imagemeta --version\` (process start) | $t_start | | | $((rss_start / 1024)) | |
| \`imagemeta scan --no-hash\` one 250 MB PNG | $t_hugenh | | | $((rss_hugenh / 1024)) | |
| \`imagemeta scan\` (hashed) one 250 MB PNG | $t_hugeh | | | $((rss_hugeh / 1024)) | |
TABLE
)
summary="$files files ($distinct distinct, hard links), $mb MB, $ok extracted; --no-hash read $read_nh MB of them; $(nproc) cores; load $load_before before, $load_after after; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%s\n\n%s\n' "$summary" "$table" | tee "$results/extractor.md"
