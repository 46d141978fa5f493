#!/usr/bin/env bash
# Extraction benchmark: imagemeta scan --jsonl vs exiftool -fast2 -j vs ImageMagick identify -ping, same
# files, one run, warm cache, one process each, best of three. Usage: bench/extractor/run.sh [file-count] (default 300).
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-300}
results=bench/results
corpus=$results/corpus-$count
mkdir -p "$results"

missing=()
command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
command -v identify >/dev/null || missing+=(imagemagick)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# NativeAOT: a scan is one short process, so ahead-of-time compiled code is what a user should run.
# The R2R build is measured too, as the JIT-free-startup alternative that needs no native toolchain.
dotnet publish -c Release -r linux-x64 -p:PublishAot=true -v q --nologo \
  -o "$results/imagemeta" tools/imagemeta/imagemeta.csproj >/dev/null
dotnet publish -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v q --nologo \
  -o "$results/imagemeta-r2r" tools/imagemeta/imagemeta.csproj >/dev/null
if [ ! -f "$corpus.complete" ]; then
  echo "writing a corpus of $count images to $corpus" >&2
  rm -rf "$corpus"
  dotnet run -c Release --project bench/extractor/ImageMeta.Bench.Corpus.csproj -- "$corpus" "$count"
  touch "$corpus.complete"
fi
files=$(find "$corpus" -type f | wc -l)
bytes=$(du -sb "$corpus" | cut -f1)
cat "$corpus"/* > /dev/null   # warm the page cache so every tool reads from memory

imagemeta=("$results/imagemeta/imagemeta")
measure() { # name, command...: one warm-up, then the best of three timed runs; prints "seconds maxrss_kb"
  local name=$1; shift
  "$@" > /dev/null 2>&1
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$results/$name.time.$run" "$@" > "$results/$name.out" 2>/dev/null
  done
  sort -n "$results/$name.time".* | head -1
  rm -f "$results/$name.time".*
}

read -r t_im rss_im < <(measure imagemeta "${imagemeta[@]}" scan --jsonl "$corpus")
read -r t_im1 rss_im1 < <(measure imagemeta-1 "${imagemeta[@]}" scan --jsonl --parallel 1 "$corpus")
read -r t_r2r rss_r2r < <(measure imagemeta-r2r "$results/imagemeta-r2r/imagemeta" scan --jsonl "$corpus")
read -r t_ex rss_ex < <(measure exiftool exiftool -fast2 -j -q "$corpus")
read -r t_id rss_id < <(measure identify identify -ping "$corpus"/*)

ok=$(grep -c '"ok":true' "$results/imagemeta.out" || true)
rate() { awk -v n="$files" -v t="$1" 'BEGIN { printf "%.0f", n / (t > 0 ? t : 0.001) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 0.001) }'; }
table=$(cat <<TABLE
| tool | seconds | files/s | peak RSS (MB) | imagemeta (parallel) is faster by |
| --- | ---: | ---: | ---: | ---: |
| imagemeta scan --jsonl (NativeAOT, 2 workers) | $t_im | $(rate "$t_im") | $((rss_im / 1024)) | — |
| imagemeta scan --jsonl (NativeAOT, --parallel 1) | $t_im1 | $(rate "$t_im1") | $((rss_im1 / 1024)) | $(ratio "$t_im" "$t_im1")× |
| imagemeta scan --jsonl (ReadyToRun, 2 workers) | $t_r2r | $(rate "$t_r2r") | $((rss_r2r / 1024)) | $(ratio "$t_im" "$t_r2r")× |
| exiftool -fast2 -j | $t_ex | $(rate "$t_ex") | $((rss_ex / 1024)) | $(ratio "$t_im" "$t_ex")× |
| identify -ping | $t_id | $(rate "$t_id") | $((rss_id / 1024)) | $(ratio "$t_im" "$t_id")× |
TABLE
)
summary="$files files, $((bytes / 1024 / 1024)) MiB, $ok extracted by imagemeta; $(nproc) cores; $(date -u +%Y-%m-%d)"
printf '%s\n\n%s\n' "$summary" "$table" | tee "$results/extractor.md"
