#!/usr/bin/env bash
# Pipeline benchmark: upload-to-stored-row throughput and steady-rate latency of the three real
# services against the sidecar doubles, on SQLite and on PostgreSQL. One command:
#   bench/pipeline/run.sh [--databases sqlite,postgres] [--burst 1000] [--concurrency 32] [--rate 20] [--seconds 30]
# The sweep's reconciliation instead (time and peak memory over N bulk-seeded records, bench/README.md):
#   bench/pipeline/run.sh --reconciliation 10000,100000 [--databases sqlite,postgres]   (writes bench/results/reconciliation.md)
# Uses IMAGEMETA_TEST_POSTGRES when set; otherwise starts a private PostgreSQL 15 for the run.
# Writes bench/results/pipeline.md (ignored by git) and prints the same tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ -z "${IMAGEMETA_TEST_POSTGRES:-}" ]; then
  pgbin=$(dirname "$(readlink -f "$(command -v pg_ctl || echo /usr/lib/postgresql/15/bin/pg_ctl)")")
  pgdir=$(mktemp -d /tmp/imagemeta-bench-pg.XXXXXX)
  pgport=${IMAGEMETA_BENCH_PGPORT:-55471}
  chown postgres "$pgdir"
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
  export IMAGEMETA_TEST_POSTGRES="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres"
  echo "bench: private PostgreSQL on 127.0.0.1:$pgport"
fi

dotnet build "$root/bench/pipeline/ImageMeta.Bench.Pipeline.csproj" --configuration Release -v quiet -nologo
dotnet "$root/bench/pipeline/bin/Release/net10.0/ImageMeta.Bench.Pipeline.dll" --out "$root/bench/results/pipeline.md" "$@"
