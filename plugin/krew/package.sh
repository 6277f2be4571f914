#!/usr/bin/env bash
# Builds the krew package of `kubectl configstore` into dist/kubectl-plugin/ (or --out DIR):
#   kubectl-configstore                  plugin/main.ts bundled by esbuild into one JavaScript file (node shebang)
#   kubectl-configstore-<v>.tar.gz       that file and a README: what krew unpacks (a reproducible archive)
#   configstore.yaml                     plugin/krew/configstore.yaml with the version, URL and the archive's sha256
#
#   plugin/krew/package.sh [--url-base URL] [--homepage URL] [--out DIR]
# --url-base is where the archive will be downloaded from (a release's assets); without it the
# manifest says file://<out>, good for `kubectl krew install --manifest=… --archive=…` here.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE="$ROOT/node_modules/.bin/node"
[ -x "$NODE" ] || NODE=node
out="$ROOT/dist/kubectl-plugin" url_base="" homepage="https://github.com/configstore/configstore"
while [ $# -gt 0 ]; do
  case "$1" in
    --url-base) url_base=${2%/}; shift 2 ;;
    --homepage) homepage=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "package.sh: unknown argument $1 (--url-base URL, --homepage URL, --out DIR)" >&2; exit 2 ;;
  esac
done
version="v$("$NODE" -p "require('$ROOT/package.json').version")"
archive="kubectl-configstore-$version.tar.gz"
[ -n "$url_base" ] || url_base="file://$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"

# ESM, so main.ts's top-level await works; bundled CommonJS modules get a require() of their own.
# The first lines refuse an old Node before any module code runs (undici needs 22.19).
banner='#!/usr/bin/env node
const [__major, __minor] = process.versions.node.split(".").map(Number);
if (__major < 22 || (__major === 22 && __minor < 19)) { console.error(`kubectl configstore: needs Node.js 22.19 or newer, this is ${process.version}`); process.exit(1); }
import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
"$ROOT/node_modules/.bin/esbuild" "$ROOT/plugin/main.ts" --bundle --platform=node --format=esm --target=node22 \
  --external:bufferutil --external:utf-8-validate --legal-comments=none --log-level=warning \
  --banner:js="$banner" --outfile="$stage/kubectl-configstore"
chmod 755 "$stage/kubectl-configstore"
cat > "$stage/README.md" <<README
# kubectl configstore $version

Status, backups, restore, maintenance and support bundles of configstore clusters; needs
Node.js 22.19+ as \`node\` on PATH. \`kubectl configstore --help\` lists the commands; the
full guide is docs/kubectl-plugin.md in the configstore repository ($homepage).
README
# reproducible: fixed owner, order and times, gzip without a timestamp
tar -C "$stage" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf - kubectl-configstore README.md | gzip -n -9 > "$out/$archive"
cp "$stage/kubectl-configstore" "$out/kubectl-configstore"
sha=$(sha256sum "$out/$archive" | cut -d' ' -f1)
sed -e "s|'{{VERSION}}'|$version|" -e "s|'{{HOMEPAGE}}'|$homepage|" -e "s|'{{URI}}'|$url_base/$archive|" -e "s|'{{SHA256}}'|$sha|" \
  -e 's| # PLACEHOLDER.*||' -e '/^# A TEMPLATE/,/^# into dist/d' -e '/^# from package.json/d' -e '/Never publish this file/d' \
  "$ROOT/plugin/krew/configstore.yaml" > "$out/configstore.yaml"
if grep -q '{{' "$out/configstore.yaml"; then echo "package.sh: placeholders left in $out/configstore.yaml" >&2; exit 1; fi
"$NODE" "$out/kubectl-configstore" --version >/dev/null
echo "$out/$archive (sha256 $sha)"
echo "$out/configstore.yaml"
