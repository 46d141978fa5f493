# shellcheck shell=bash
# Sourced by run.sh and formats.sh: the one way both benchmarks time a command (needs $results set).
measure() { # name, command...: one warm-up, then the best of three timed runs; prints "seconds maxrss_kb"
  local name=$1; shift
  "$@" > /dev/null 2>&1 || true
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$results/$name.time.$run" "$@" > "$results/$name.out" 2>"$results/$name.err" || true
  done
  sort -n "$results/$name.time".* | head -1
  rm -f "$results/$name.time".*
}
