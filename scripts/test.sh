#!/usr/bin/env bash
# The test command (README and .ci/run): builds the solution and runs every test project.
# Optional real dependencies are read from the environment; see README "Tests".
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# A test that hangs is stopped and named after 10 minutes instead of holding the run (no test takes 4).
dotnet test ImageMeta.Dapr.sln --configuration Release --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One closing line over all test projects, from the per-project summaries dotnet test prints.
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) + 0 }
      if ($i == "Passed:")  { p += $(i+1) + 0 }
      if ($i == "Skipped:") { s += $(i+1) + 0 }
    }
    projects++
  }
  END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"

exit "$status"
