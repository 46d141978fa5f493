#!/usr/bin/env bash
# The pipeline on the local profile: builds the three services and the web app once (dapr run starts all apps at
# the same moment, and concurrent builds of the shared projects would fight over the same output files), then
# hands over to `dapr run -f .` (dapr.yaml). Needs the Dapr CLI and a one-time `dapr init` (README).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data/images .data/thumbnails
for project in services/ingest/ImageMeta.Ingest.Service services/extractor/ImageMeta.Extractor.Service services/store/ImageMeta.Store.Service services/web/ImageMeta.Web.Service; do
  dotnet build "$project" -c Release -v quiet -nologo
done
echo "run-local: when the apps are up, open http://localhost:5000"
exec dapr run -f . "$@"
