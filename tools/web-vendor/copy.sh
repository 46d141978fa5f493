#!/usr/bin/env bash
# Copies the pinned browser libraries (npm ci here first) into the web app's wwwroot/lib, with their licences.
# The copies are committed, so the app and its container image need no npm; run this after changing a version here
# and commit what changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="$here/../../services/web/ImageMeta.Web.Service/wwwroot/lib"
[ -d "$here/node_modules/leaflet" ] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$lib/leaflet" "$lib/leaflet.markercluster"
mkdir -p "$lib/leaflet/images" "$lib/leaflet.markercluster"
cp "$here/node_modules/leaflet/dist/leaflet.js" "$here/node_modules/leaflet/dist/leaflet.css" "$here/node_modules/leaflet/LICENSE" "$lib/leaflet/"
cp "$here"/node_modules/leaflet/dist/images/*.png "$lib/leaflet/images/"
cp "$here/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js" \
   "$here/node_modules/leaflet.markercluster/dist/MarkerCluster.css" \
   "$here/node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css" \
   "$here/node_modules/leaflet.markercluster/MIT-LICENCE.txt" "$lib/leaflet.markercluster/"
# The minified files end with a source-map comment whose map is not copied: drop it, so browsers ask for nothing missing.
sed -i '/^\/\/# sourceMappingURL=/d' "$lib/leaflet/leaflet.js" "$lib/leaflet.markercluster/leaflet.markercluster.js"
echo "copied Leaflet and Leaflet.markercluster into $lib"
