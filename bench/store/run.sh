#!/usr/bin/env bash
# Store benchmark: bulk-loads N rows (PostgreSQL binary COPY, SQLite large transactions, SqlBulkCopy for SQL Server),
# checks the answers, then measures query p95s, upserts/s with and without the maintained stats (same run), the
# database's size on disk and the bench process's memory. SQLite and PostgreSQL in one run; SQL Server when
# IMAGEMETA_TEST_SQLSERVER is set. Uses IMAGEMETA_TEST_POSTGRES when set; else starts a private PostgreSQL 15 on
# loopback for the run.
# Usage: bench/store/run.sh [--rows N] [--sqlite-rows N] [--samples 200] [--upserts 4000] [--databases sqlite,postgres]
#        [--keep-postgres NAME] (with IMAGEMETA_TEST_POSTGRES: keep that database, and measure it again without loading)
#        [--keep-sqlite FOLDER] (the same for the SQLite file in FOLDER)
# (a bare number is --rows N, as before). The suite runs the same seeding and checks at 2,000 rows (StoreBenchTests).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -eq 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then set -- --rows "$1"; fi
pg=${IMAGEMETA_TEST_POSTGRES:-}
if [ -z "$pg" ]; then
  pgbin=/usr/lib/postgresql/15/bin
  [ -x $pgbin/pg_ctl ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
  dir=$(mktemp -d /tmp/imagemeta-bench-pg.XXXXXX); chmod 755 "$dir"; chown postgres "$dir"
  runuser -u postgres -- $pgbin/initdb -D "$dir" -U postgres -A trust >/dev/null
  # Memory settings of a server sized for a ten-million-row library (the defaults are for a 128 MB machine); durability
  # (fsync, synchronous_commit) stays at the defaults.
  runuser -u postgres -- $pgbin/pg_ctl -D "$dir" -l "$dir/log" -w -o "-p 55433 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100 \
    -c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min" start >/dev/null
  trap 'runuser -u postgres -- $pgbin/pg_ctl -D "$dir" -m fast stop >/dev/null; rm -rf "$dir"' EXIT
  pg="Host=127.0.0.1;Port=55433;Username=postgres;Database=postgres"
fi
databases=sqlite,postgres
extra=()
if [ -n "${IMAGEMETA_TEST_SQLSERVER:-}" ]; then databases=$databases,sqlserver; extra=(--sqlserver "$IMAGEMETA_TEST_SQLSERVER"); fi
mkdir -p bench/results
dotnet run -c Release --project bench/store/ImageMeta.Bench.Store.csproj -- --databases "$databases" --postgres "$pg" "${extra[@]}" "$@" | tee bench/results/store.md
