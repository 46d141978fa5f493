#!/usr/bin/env bash
# The test command (README and .ci/run): sets the machine up, builds the solution and runs every test project.
# First scripts/setup.sh installs what the suites need and the machine lacks (Debian packages through apt-get as
# root or sudo, `npm ci` in each tools/* folder); what it cannot install it names, and the suites that need it skip.
# Then, when no PostgreSQL is given (IMAGEMETA_TEST_POSTGRES) and the server binaries are installed, it starts a
# private, throwaway one on loopback; when tools/azurite is installed and no emulator is given
# (IMAGEMETA_TEST_AZURITE), it starts Azurite. Both are stopped on exit, Ctrl-C included. At the end it names what
# was skipped and what would enable it; the last line is always "Tests: N passed, N failed, N skipped".
# Extra arguments go to dotnet test.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d /tmp/imagemeta-test.XXXXXX)
chmod 755 "$work"
log="$work/test.log"
pg_data=""
pg_ctl=""
azurite_pid=""
started=()

cleanup() {
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_pg_owner "$pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
  fi
  if [ -n "$azurite_pid" ]; then kill "$azurite_pid" 2>/dev/null || true; wait "$azurite_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# initdb refuses to run as root: as root the cluster belongs to the postgres user, otherwise to us.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The first port from $1 up that nothing listens on.
free_port() {
  local port=$1
  while (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

start_postgres() {
  local bin
  bin=$(command -v pg_ctl 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && [ -x "$bin" ] || return 1
  pg_ctl=$bin
  local bindir port password
  bindir=$(dirname "$(readlink -f "$bin")")
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then return 1; fi
  pg_data="$work/pgdata"
  mkdir -p "$pg_data"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg_data"
  # A password even on loopback: other local users must not reach the throwaway server.
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  echo "$password" > "$work/pgpass"
  [ "$(id -u)" -eq 0 ] && chown postgres "$work/pgpass"
  as_pg_owner "$bindir/initdb" -D "$pg_data" -U postgres -A scram-sha-256 --pwfile="$work/pgpass" >/dev/null || return 1
  port=$(free_port 55432)
  # max_connections above the suites' concurrency (the store's default pool of 30 per database, several databases at once).
  as_pg_owner "$bindir/pg_ctl" -D "$pg_data" -l "$pg_data/postgres.log" -w \
    -o "-p $port -k $pg_data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null || return 1
  export IMAGEMETA_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres"
  started+=("PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port")
}

start_azurite() {
  [ -x "$root/tools/azurite/node_modules/.bin/azurite-blob" ] || return 1
  # Azurite listens on the emulator's fixed ports; something already there is taken as an emulator to use.
  if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
    echo "test: 127.0.0.1:10000 is taken and IMAGEMETA_TEST_AZURITE is not set: the Azurite suites skip (set it to use that emulator)"
    return 1
  fi
  "$root/tools/azurite/start.sh" "$work/azurite" > "$work/azurite.log" 2>&1 &
  azurite_pid=$!
  export IMAGEMETA_TEST_AZURITE="UseDevelopmentStorage=true"
  started+=("Azurite (blob :10000, queue :10001)")
}

# Installs what it can; writes what it could not into the report, which the summary below reads.
bash "$root/scripts/setup.sh" --report "$work/missing.tsv"

if [ -z "${IMAGEMETA_TEST_POSTGRES:-}" ]; then start_postgres || pg_data=""; fi
if [ -z "${IMAGEMETA_TEST_AZURITE:-}" ]; then start_azurite || true; fi
for s in "${started[@]}"; do echo "test: started $s for this run"; done

# A test that hangs is stopped and named after 10 minutes instead of holding the run (no test takes 4).
dotnet test "$root/ImageMeta.Dapr.sln" --configuration Release --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# What was skipped, per test project, and what would enable it.
echo
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) if ($i == "Skipped:") s = $(i+1) + 0
    if (s > 0) { name = $NF; if (name ~ /^\(/) name = $(NF-1); printf "test: %s skipped %d\n", name, s }
  }
' "$log"
while IFS=$'\t' read -r piece suites command; do
  echo "test: skipped $suites: $piece is missing (install: $command)"
done < "$work/missing.tsv"
[ -z "${IMAGEMETA_TEST_POSTGRES:-}" ] && [ -z "$pg_data" ] && ! grep -q '^postgresql' "$work/missing.tsv" &&
  echo "test: skipped the PostgreSQL suites (store, end-to-end): the private server did not start (see above), or set IMAGEMETA_TEST_POSTGRES"
[ -z "${IMAGEMETA_TEST_SQLSERVER:-}" ] && echo "test: skipped the SQL Server suite (store): SQL Server cannot run on this machine; set IMAGEMETA_TEST_SQLSERVER to a SQL Server or Azure SQL connection string"
if [ "${IMAGEMETA_E2E_REAL_DAPR:-}" != "1" ] || ! command -v dapr >/dev/null 2>&1; then
  echo "test: skipped the real-Dapr end-to-end tests: they need daprd, placement and the scheduler ('dapr init' with Docker, which cannot run here); with those, set IMAGEMETA_E2E_REAL_DAPR=1 (GitHub's real-dapr workflow does)"
fi

# One closing line over all test projects, from the per-project summaries dotnet test prints.
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) + 0 }
      if ($i == "Passed:")  { p += $(i+1) + 0 }
      if ($i == "Skipped:") { s += $(i+1) + 0 }
    }
  }
  END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"

exit "$status"
