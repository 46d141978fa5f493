#!/usr/bin/env bash
# Thumbnail benchmark: the extractor's ThumbnailRenderer (bench/thumbnails) vs vipsthumbnail vs ImageMagick, each
# making a WebP (quality 80) of at most 320x320 from every file of the same mixed corpus (bench/extractor's, 15 of
# 20 camera JPEGs of 1-12 MP), single-threaded and with 2 workers, in one run, warm cache, best of three.
# Peak RSS is /usr/bin/time's maximum resident set of the largest process. On a shared machine the CPU seconds
# (user + sys of every process) compare the work each tool does better than the wall clock; both are printed, and
# the best run is the one with the fewest CPU seconds.
# Usage: bench/extractor/thumbnails.sh [file-count] (default 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-200}
results=bench/results
corpus=$results/corpus-$count
mkdir -p "$results"

missing=()
command -v vipsthumbnail >/dev/null || missing+=(libvips-tools)
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
