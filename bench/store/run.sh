#!/usr/bin/env bash
# Store benchmark: upserts/s from 8 concurrent writers and query latency at N rows (default 100,000),
# SQLite and PostgreSQL in one run. Uses IMAGEMETA_TEST_POSTGRES when set; else starts a private
# PostgreSQL 15 on loopback for the run. Usage: bench/store/run.sh [rows]
# BENCH_STORE_DATABASES=postgres skips SQLite (the similar-images numbers are PostgreSQL's).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-100000}
pg=${IMAGEMETA_TEST_POSTGRES:-}
if [ -z "$pg" ]; then
  pgbin=/usr/lib/postgresql/15/bin
  [ -x $pgbin/pg_ctl ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
  dir=$(mktemp -d /tmp/imagemeta-bench-pg.XXXXXX); chmod 755 "$dir"; chown postgres "$dir"
  runuser -u postgres -- $pgbin/initdb -D "$dir" -U postgres -A trust >/dev/null
  runuser -u postgres -- $pgbin/pg_ctl -D "$dir" -l "$dir/log" -w -o "-p 55433 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
  trap 'runuser -u postgres -- $pgbin/pg_ctl -D "$dir" -m fast stop >/dev/null; rm -rf "$dir"' EXIT
  pg="Host=127.0.0.1;Port=55433;Username=postgres;Database=postgres"
fi
mkdir -p bench/results
dotnet run -c Release --project bench/store/ImageMeta.Bench.Store.csproj -- "$rows" "$pg" | tee bench/results/store.md
