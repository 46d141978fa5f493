#!/usr/bin/env bash
# Installs what the test suites need and this machine lacks; the one place that installs anything
# (scripts/test.sh runs it first, .ci/run runs it before the audit).
#  - Debian packages, through apt-get as root or through `sudo -n` (GitHub's runners): PostgreSQL, Chromium,
#    Prometheus (promtool), kubectl, Node.js and npm, and the image tools the extractor's and the docs' tests drive.
#  - The npm tools pinned under tools/: `npm ci` in every tools/* folder with a package-lock.json, skipped when the
#    installed tree already matches the lock file (a stamp in node_modules holds the lock file's hash).
# What it cannot install (no root and no sudo, no network, no such package) it names, with the suites that will
# skip and the command that would install it. It never fails for that: a missing tool makes its suites skip
# (outside CI=true, where they fail instead), never fail.
#
# --report FILE: also writes each missing piece there, one "piece<TAB>suites<TAB>install command" line.
# IMAGEMETA_SETUP=0: install nothing, only report (for a machine whose owner installs by hand).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

report=""
if [ "${1:-}" = "--report" ]; then report=$2; : > "$report"; fi

missing() { # $1 piece, $2 suites that skip, $3 install command
  echo "setup: missing $1 ($3): $2 will skip"
  [ -n "$report" ] && printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$report"
  return 0
}

# Each Debian package, the file or command that shows it is installed, and the suites that need it.
# A probe starting with / is a file; otherwise a command on PATH. ImageMagick is probed by its Debian path because
# some machines put a stand-in `convert` on PATH.
packages=(
  "postgresql|pg_ctl:/usr/lib/postgresql/*/bin/pg_ctl|the PostgreSQL suites (store, end-to-end, deploy migrations)"
  "chromium|/usr/bin/chromium|the browser suite (web)"
  "prometheus|prometheus promtool|the Prometheus scrape test and the promtool rule tests"
  "kubectl|kubectl|the deploy tests that render the manifests"
  "nodejs|node|the npm tools (Azurite, browser, schema and workflow validation)"
  "npm|npm|the npm tools (Azurite, browser, schema and workflow validation)"
  "jq|jq|the README's shell blocks (end-to-end docs tests)"
  "libheif-examples|heif-enc heif-info|the HEIF/HEIC extractor tests"
  "libavif-bin|avifenc|the AVIF extractor tests"
  "libjxl-tools|cjxl|the JPEG XL extractor tests"
  "libtiff-tools|tiffinfo|the TIFF extractor tests"
  "imagemagick|/usr/bin/convert|the extractor tests that write images with ImageMagick"
  "libimage-exiftool-perl|exiftool|the extractor tests that compare with exiftool"
  "exiv2|exiv2|the extractor tests that compare with exiv2"
  "libvips-tools|vips vipsthumbnail|the thumbnail tests that compare with libvips"
)

present() { # $1: probes separated by spaces; a probe "a:b" is present when either is
  local probe alt found
  for probe in $1; do
    found=""
    IFS=':' read -ra alts <<< "$probe"
    for alt in "${alts[@]}"; do
      if [[ $alt == /* ]]; then compgen -G "$alt" >/dev/null && found=1
      else command -v "$alt" >/dev/null 2>&1 && found=1; fi
    done
    [ -n "$found" ] || return 1
  done
  return 0
}

need=()
for entry in "${packages[@]}"; do
  IFS='|' read -r package probes _ <<< "$entry"
  present "$probes" || need+=("$package")
done

as_root=()
can_install=""
if [ "${IMAGEMETA_SETUP:-1}" = 0 ]; then
  :
elif [ "$(id -u)" -eq 0 ]; then
  can_install=1
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n); can_install=1
fi

apt_install() { # packages…; quiet, bounded retries and timeouts, never interactive
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Acquire::Retries=2 -o Acquire::http::Timeout=60 "$@" >/dev/null
}

if [ ${#need[@]} -gt 0 ] && [ -n "$can_install" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian packages: ${need[*]}"
  start=$SECONDS
  if "${as_root[@]}" apt-get update -qq -o Acquire::Retries=2 -o Acquire::http::Timeout=60 >/dev/null; then
    # All at once first (one dependency resolution); one by one when that fails, so one unknown package (kubectl
    # is not in Debian's archive: Debian names it kubernetes-client) does not keep the others out.
    if ! apt_install "${need[@]}" 2>/dev/null; then
      for package in "${need[@]}"; do
        apt_install "$package" 2>/dev/null && continue
        [ "$package" = kubectl ] && apt_install kubernetes-client 2>/dev/null && continue
        echo "setup: apt-get could not install $package"
      done
    fi
  else
    echo "setup: apt-get update failed (no network?)"
  fi
  echo "setup: Debian packages took $((SECONDS - start)) s"
fi

for entry in "${packages[@]}"; do
  IFS='|' read -r package probes suites <<< "$entry"
  present "$probes" || missing "$package" "$suites" "apt-get install -y $package"
done

# A kubectl too old for kustomize components (Debian's kubernetes-client is 1.20) renders none of deploy/k8s.
if command -v kubectl >/dev/null 2>&1; then
  minor=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -1)
  if [ -n "$minor" ] && [ "$minor" -lt 21 ]; then
    missing "kubectl 1.21 or later (found 1.$minor)" "the deploy tests that render the manifests" "a kubectl of 1.21 or later on PATH"
  fi
fi

# The npm tools, each pinned by its lock file.
npm_start=$SECONDS; npm_ran=""
for lock in "$root"/tools/*/package-lock.json; do
  folder=$(dirname "$lock"); name=${folder#"$root"/}
  if ! command -v npm >/dev/null 2>&1; then
    missing "$name's npm packages" "the tests that use $name" "npm ci in $name (needs Node.js and npm)"
    continue
  fi
  stamp="$folder/node_modules/.imagemeta-lock-sha256"
  hash=$(sha256sum "$lock" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && continue
  if [ "${IMAGEMETA_SETUP:-1}" = 0 ]; then
    [ -d "$folder/node_modules" ] || missing "$name's npm packages" "the tests that use $name" "npm ci in $name"
    continue
  fi
  echo "setup: npm ci in $name"; npm_ran=1
  if (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "$hash" > "$stamp"
  else
    missing "$name's npm packages" "the tests that use $name" "npm ci in $name"
  fi
done
[ -n "$npm_ran" ] && echo "setup: npm tools took $((SECONDS - npm_start)) s"
exit 0
