#!/usr/bin/env bash
# The dependency audit (.ci/run runs it before the tests):
#  - NuGet: NuGetAudit's advisory data through `dotnet list package --vulnerable --include-transitive`, over every
#    project of the solution, direct and transitive packages;
#  - npm: `npm audit --omit=dev` in every tools/* folder with a package-lock.json (the npm tools the tests install).
# It fails (exit 1) on a high or critical advisory and prints the advisory's id (GHSA-…); moderate and low are notes.
#
# A registry that serves no advisory data cannot be audited. NuGet would then pass in silence (with only package
# sources, a source without data is skipped without a word), so nuget.org, where NuGet's advisory database lives,
# is named as the audit source: NuGet then says when it gets no data. The run prints "COULD NOT RUN" and why.
# Rule: that fails the run only when IMAGEMETA_AUDIT_REQUIRED=1, which the GitHub workflow sets (nuget.org and the
# npm registry serve the data there). This project's own machines reach both registries through a mirror that
# serves packages but no advisories, so there the audit is reported as not run and the tests go on.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/imagemeta-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT

found=0
blind=()
judge() { # $1 = exit code of audit-report.mjs, $2 = what was audited
  case $1 in
    0) ;;
    1) found=1 ;;
    *) blind+=("$2") ;;
  esac
}

cat > "$work/nuget.config" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <auditSources>
    <clear />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </auditSources>
</configuration>
XML
echo "audit: nuget: dotnet list package --vulnerable --include-transitive (every project of ImageMeta.Dapr.sln)"
# Restored first with the machine's own NuGet configuration; the audit's configuration only names the audit source.
dotnet restore "$root/ImageMeta.Dapr.sln" -v quiet -nologo > "$work/restore.log" 2>&1 || { cat "$work/restore.log"; exit 1; }
dotnet list "$root/ImageMeta.Dapr.sln" package --vulnerable --include-transitive --config "$work/nuget.config" --format json \
  > "$work/nuget.json" 2> "$work/nuget.err"
node "$root/scripts/audit-report.mjs" nuget "$work/nuget.json"
judge $? nuget

for lock in "$root"/tools/*/package-lock.json; do
  [ -f "$lock" ] || continue
  folder=$(dirname "$lock")
  name=${folder#"$root"/}
  echo "audit: npm ($name): npm audit --omit=dev"
  (cd "$folder" && npm audit --omit=dev --json > "$work/npm.json" 2> "$work/npm.err")
  node "$root/scripts/audit-report.mjs" npm "$work/npm.json" "$name"
  judge $? "npm ($name)"
done

if [ "$found" -ne 0 ]; then
  echo "audit: FAILED: a high or critical advisory (above). Update the package (Directory.Packages.props, or the folder's package.json and npm install) and run again."
  exit 1
fi
if [ ${#blind[@]} -gt 0 ]; then
  unaudited=$(IFS=,; echo "${blind[*]}" | sed 's/,/, /g')
  if [ "${IMAGEMETA_AUDIT_REQUIRED:-}" = "1" ]; then
    echo "audit: FAILED: could not run for $unaudited (IMAGEMETA_AUDIT_REQUIRED=1)"
    exit 1
  fi
  echo "audit: NOT RUN for $unaudited: the registry served no advisory data (above); nothing was checked there. Set IMAGEMETA_AUDIT_REQUIRED=1 to make that fail."
  exit 0
fi
echo "audit: no high or critical advisory"
