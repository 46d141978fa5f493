#!/usr/bin/env bash
# The main command: the pipeline and the web app on the local profile (dapr.yaml), set up as needed.
#  1. The Dapr CLI: the one on PATH, else the pinned one in a user folder, else that pinned release is downloaded
#     there and its SHA-256 checked against the release's published checksum (and IMAGEMETA_DAPR_CLI_SHA256 when
#     set) before it is unpacked. A CLI older than 1.15 is refused (dapr.yaml's maxBodySize needs 1.15).
#  2. The Dapr runtime: when ~/.dapr/bin has no daprd, `dapr init` with Docker (placement, scheduler, Redis and
#     Zipkin as containers), `dapr init --slim` without it (binaries only).
#  3. Without the control plane's containers it starts placement and the scheduler itself, waits for their health
#     endpoints, and stops them when it exits (Ctrl-C included).
#  4. When a previous run of this file still holds its ports, `dapr stop -f .`, then it waits until they are free.
#  5. It builds the three services and the web app once (dapr run starts all apps at the same moment, and
#     concurrent builds of the shared projects would fight over the same output files), runs `dapr run -f .`,
#     and prints the address once the web app answers /readyz. Extra arguments go to dapr run.
# `scripts/run-local.sh stop` stops a run of this file (`dapr stop -f .`) and returns once its ports are free, so
# that the next `dapr run` on the same fixed ports cannot find them taken (GitHub's real-dapr workflow uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# One Dapr set, chosen and tested together (README, "Versions"; .github/workflows/real-dapr.yml runs this script).
cli_version=1.18.0
runtime_version=1.18.3
min_cli_version=1.15.0
cli_dir=${IMAGEMETA_DAPR_CLI_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/imagemeta/dapr-cli-$cli_version}
dapr_bin=$HOME/.dapr/bin
web=http://localhost:5000
ready_timeout=${IMAGEMETA_RUN_LOCAL_READY_TIMEOUT:-600}

say() { echo "run-local: $*"; }
fail() { echo "run-local: $*" >&2; exit 1; }

# Version a.b.c of $1 is at least $2.
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }

install_cli() {
  local os arch asset base work expected actual
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) fail "no Dapr CLI build for $(uname -s); install it by hand (README)" ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) fail "no Dapr CLI build for $(uname -m)" ;; esac
  asset=dapr_${os}_${arch}.tar.gz
  base=https://github.com/dapr/cli/releases/download/v$cli_version
  work=$(mktemp -d)
  say "no dapr on PATH: installing the Dapr CLI $cli_version into $cli_dir"
  curl -fsSL --retry 2 --max-time 300 -o "$work/$asset" "$base/$asset" || { rm -rf "$work"; fail "could not download $base/$asset"; }
  curl -fsSL --retry 2 --max-time 60 -o "$work/$asset.sha256" "$base/$asset.sha256" || { rm -rf "$work"; fail "could not download $base/$asset.sha256"; }
  expected=$(awk '{print $1; exit}' "$work/$asset.sha256")
  actual=$(sha256sum "$work/$asset" | awk '{print $1}')
  if [ -z "$expected" ] || [ "$actual" != "$expected" ] || { [ -n "${IMAGEMETA_DAPR_CLI_SHA256:-}" ] && [ "$actual" != "$IMAGEMETA_DAPR_CLI_SHA256" ]; }; then
    rm -rf "$work"
    fail "checksum mismatch for $asset (got $actual, expected ${IMAGEMETA_DAPR_CLI_SHA256:-$expected}): not installed"
  fi
  mkdir -p "$cli_dir"
  tar -xzf "$work/$asset" -C "$cli_dir" dapr
  chmod +x "$cli_dir/dapr"
  rm -rf "$work"
  say "Dapr CLI $cli_version installed (sha256 $actual)"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The ports dapr.yaml gives its apps and sidecars.
run_file_ports() { sed -n 's/^ *\(appPort\|daprHTTPPort\|daprGRPCPort\): *\([0-9]*\).*/\2/p' "$root/dapr.yaml"; }

# Waits (bounded) until none of the given ports accepts a connection; names the first one still taken.
wait_ports_free() {
  local deadline=$((SECONDS + ${IMAGEMETA_PORT_FREE_TIMEOUT:-60})) port busy
  while :; do
    busy=""
    for port in "$@"; do listening "$port" && { busy=$port; break; }; done
    [ -z "$busy" ] && return 0
    [ $SECONDS -ge $deadline ] && fail "port $busy is still taken after dapr stop; end what holds it (ss -ltnp 'sport = :$busy')"
    sleep 0.5
  done
}

# Waits (bounded) for an HTTP endpoint to answer 2xx.
wait_http() { # $1 url, $2 seconds, $3 pid that must stay alive (optional)
  local deadline=$((SECONDS + $2))
  until curl -fs --max-time 2 -o /dev/null "$1"; do
    [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
    [ $SECONDS -ge $deadline ] && return 1
    sleep 1
  done
}

control_plane=()
run_pid=""
cleanup() {
  local pid
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then kill -TERM "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; fi
  for pid in "${control_plane[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  [ ${#control_plane[@]} -gt 0 ] && say "stopped placement and the scheduler"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The CLI.
if command -v dapr >/dev/null 2>&1; then dapr=$(command -v dapr)
elif [ -x "$cli_dir/dapr" ]; then dapr=$cli_dir/dapr
else install_cli; dapr=$cli_dir/dapr
fi
export PATH="$(dirname "$dapr"):$PATH"
found=$("$dapr" --version 2>/dev/null | sed -n 's/^CLI version: *\([0-9][0-9.]*\).*/\1/p' | head -1)
[ -n "$found" ] || fail "$dapr --version names no CLI version"
at_least "$found" "$min_cli_version" || fail "Dapr CLI $found is older than $min_cli_version, which dapr.yaml needs (maxBodySize); remove it from PATH to get $cli_version"

if [ "${1:-}" = stop ]; then
  mapfile -t ports < <(run_file_ports)
  "$dapr" stop -f . || true
  wait_ports_free "${ports[@]}"
  say "stopped; ports ${ports[*]} are free"
  exit 0
fi

# 2. The runtime.
docker_ok=""
docker info >/dev/null 2>&1 && docker_ok=1
if [ ! -x "$dapr_bin/daprd" ]; then
  if [ -n "$docker_ok" ]; then
    say "dapr init --runtime-version $runtime_version (Docker: placement, scheduler, Redis, Zipkin)"
    "$dapr" init --runtime-version "$runtime_version"
  else
    say "dapr init --slim --runtime-version $runtime_version (no Docker: binaries only)"
    "$dapr" init --slim --runtime-version "$runtime_version"
  fi
fi

# 3. Placement and scheduler: Docker's containers when dapr init made them, otherwise ours for this run.
mkdir -p .data/images .data/thumbnails
if [ -n "$docker_ok" ] && docker ps --format '{{.Names}}' 2>/dev/null | grep -qx dapr_placement; then
  :
elif listening 50005 && listening 50006; then
  say "placement (:50005) and scheduler (:50006) already run; using them"
else
  [ -x "$dapr_bin/placement" ] && [ -x "$dapr_bin/scheduler" ] || fail "$dapr_bin has no placement or scheduler; run 'dapr init --slim' again"
  say "starting placement (:50005) and the scheduler (:50006); they stop when this script ends"
  "$dapr_bin/placement" > .data/placement.log 2>&1 &
  control_plane+=($!)
  # Both default to :8080 for health and :9090 for metrics: the scheduler moves to 8081 and 9091.
  "$dapr_bin/scheduler" --healthz-port 8081 --metrics-port 9091 --etcd-data-dir "$HOME/.dapr/scheduler-data" > .data/scheduler.log 2>&1 &
  control_plane+=($!)
  wait_http http://127.0.0.1:8080/healthz 60 "${control_plane[0]}" || fail "placement did not become healthy: $(tail -n 5 .data/placement.log)"
  wait_http http://127.0.0.1:8081/healthz 60 "${control_plane[1]}" || fail "the scheduler did not become healthy: $(tail -n 5 .data/scheduler.log)"
fi

# 4. A run left over from before holds the fixed ports: stop it and wait until the ports are free.
mapfile -t ports < <(run_file_ports)
for port in "${ports[@]}"; do
  if listening "$port"; then
    say "port $port is taken by an earlier run: dapr stop -f ."
    "$dapr" stop -f . || true
    wait_ports_free "${ports[@]}"
    break
  fi
done

# 5. Build once, run, and say where to look.
for project in services/ingest/ImageMeta.Ingest.Service services/extractor/ImageMeta.Extractor.Service services/store/ImageMeta.Store.Service services/web/ImageMeta.Web.Service; do
  dotnet build "$project" -c Release -v quiet -nologo
done
"$dapr" run -f . "$@" &
run_pid=$!
if wait_http "$web/readyz" "$ready_timeout" "$run_pid"; then
  say "ready: open $web (ingest :5010, extractor :5020, store :5030; Ctrl-C stops everything)"
else
  kill -0 "$run_pid" 2>/dev/null && say "the web app did not answer $web/readyz within $ready_timeout s; the apps' logs are under services/*/*/.dapr/logs"
fi
status=0
wait "$run_pid" || status=$?
run_pid=""
exit "$status"
