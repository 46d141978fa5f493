#!/usr/bin/env bash
# The pipeline on the local profile: builds the three services once (dapr run starts all apps at the same
# moment, and three concurrent builds of the shared projects would fight over the same output files), then
# hands over to `dapr run -f .` (dapr.yaml). Needs the Dapr CLI and a one-time `dapr init` (README).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data/images .data/thumbnails
for project in services/ingest/ImageMeta.Ingest.Service services/extractor/ImageMeta.Extractor.Service services/store/ImageMeta.Store.Service; do
  dotnet build "$project" -c Release -v quiet -nologo
done
exec dapr run -f . "$@"
