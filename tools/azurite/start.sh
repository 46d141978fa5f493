#!/usr/bin/env bash
# Starts the pinned Azurite (package.json) with the blob and queue services only, on loopback and the
# emulator's default ports (blob 10000, queue 10001), in the foreground, keeping its data in <data-dir>.
#   usage: tools/azurite/start.sh <data-dir>
# Used by the azurite profile (README, "Run locally") and by .ci/run, which starts it in the background and
# later kills this script's pid: the trap below passes that signal on, so no emulator is left behind.
# --skipApiVersionCheck: the Azure SDKs in daprd and in the tests may be newer than this Azurite release.
# --loose: ignore request headers Azurite does not implement instead of failing the call.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <data-dir>" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
data=$1
mkdir -p "$data"

bin="$here/node_modules/.bin"
if [ ! -x "$bin/azurite-blob" ] || [ ! -x "$bin/azurite-queue" ]; then
  echo "azurite is not installed: run 'npm ci' in $here first" >&2
  exit 1
fi

common=(--skipApiVersionCheck --loose --location "$data")
pids=()
# Azurite closes its servers on SIGTERM but its node process may linger afterwards, so each service gets a
# few seconds to save its state and is then killed.
stop() {
  local pid i
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for i in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 143' TERM INT
trap stop EXIT

"$bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 10000 "${common[@]}" &
pids+=($!)
"$bin/azurite-queue" --queueHost 127.0.0.1 --queuePort 10001 "${common[@]}" &
pids+=($!)

# Foreground until either service exits; then the other one is stopped too (EXIT trap).
wait -n
