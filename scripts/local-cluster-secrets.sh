#!/usr/bin/env bash
# Writes the secrets of deploy/k8s/overlays/local-cluster: env files in its .secrets/ folder (git-ignored), read by
# kustomize's secretGenerator, and the web app's key-ring certificate (web-keyring.pfx, made with openssl). Every
# value is random; nothing here is a published development key. Files that
# exist are kept, so running it again never changes a password the PostgreSQL volume already holds
# (delete .secrets/ and the volume together to start over). Usage: scripts/local-cluster-secrets.sh [folder]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-deploy/k8s/overlays/local-cluster/.secrets}
mkdir -p "$dir"
chmod 700 "$dir"

hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

write() {
  local file="$dir/$1"
  if [ -s "$file" ]; then echo "local-cluster: keeping $file"; return; fi
  (umask 077; cat > "$file")
  echo "local-cluster: wrote $file"
}

account="imagemeta$(hex 4)"
# Azurite takes any base64 key for the accounts it is given (AZURITE_ACCOUNTS=name:key).
key=$(head -c 64 /dev/urandom | base64 | tr -d '\n')
azurite=azurite.imagemeta.svc.cluster.local
write storage.env <<ENV
account-name=$account
account-key=$key
connection-string=DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key;BlobEndpoint=http://$azurite:10000/$account;QueueEndpoint=http://$azurite:10001/$account
ENV

password=$(hex 24)
write postgres.env <<ENV
password=$password
metadata-connection-string=Host=postgres.imagemeta.svc.cluster.local;Database=imagemeta;Username=imagemeta;Password=$password
state-connection-string=host=postgres.imagemeta.svc.cluster.local user=imagemeta password=$password dbname=imagemeta sslmode=disable
ENV

write app-api-token.env <<ENV
token=$(hex 32)
ENV
write dapr-api-token.env <<ENV
token=$(hex 32)
ENV
# The web app's sign-in: empty on a laptop cluster, so it runs open and says so on every page. Fill in an OpenID
# Connect authority, client id and secret to try sign-in here.
write web-oidc.env <<ENV
authority=
client-id=
client-secret=
ENV
# The certificate that encrypts the web app's Data Protection key ring at rest in the webstate store: self-signed,
# made here, protected by a random password (the keyring's secret carries both).
keyring_password=$(hex 24)
if [ ! -s "$dir/web-keyring.pfx" ]; then
  work=$(mktemp -d)
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=imagemeta-web-keyring" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  (umask 077; openssl pkcs12 -export -inkey "$work/key.pem" -in "$work/cert.pem" -passout "pass:$keyring_password" -out "$dir/web-keyring.pfx")
  rm -rf "$work"
  rm -f "$dir/web-keyring.env"
  echo "local-cluster: wrote $dir/web-keyring.pfx"
fi
write web-keyring.env <<ENV
password=$keyring_password
ENV
