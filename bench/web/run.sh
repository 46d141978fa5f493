#!/usr/bin/env bash
# Web benchmark, one command:
#   bench/web/run.sh [--records 100000] [--browse 10000] [--runs 3]
# Starts ingest, extractor, store and web on sidecar doubles (SQLite), seeds the records through the store's API,
# and measures in Debian's Chromium (IMAGEMETA_CHROMIUM overrides /usr/bin/chromium) through the DevTools protocol.
# Writes bench/results/web.md (ignored by git) and prints the same table.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
dotnet build "$root/bench/web/ImageMeta.Bench.Web.csproj" --configuration Release -v quiet -nologo
dotnet "$root/bench/web/bin/Release/net10.0/ImageMeta.Bench.Web.dll" --out "$root/bench/results/web.md" "$@"
