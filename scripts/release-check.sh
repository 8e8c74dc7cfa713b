#!/usr/bin/env bash
# Offline release check: builds and packs every public package exactly as
# `changeset publish` would ship it, then lints the tarballs (publint --strict,
# are-the-types-wrong) without publishing anything.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.release
rm -rf "$out"
mkdir -p "$out"

pnpm build
pnpm exec changeset status

for manifest in packages/*/package.json; do
  dir=$(dirname "$manifest")
  if [ "$(node -p "require('./$manifest').private === true")" = true ]; then continue; fi
  (cd "$dir" && pnpm pack --pack-destination "../../$out" >/dev/null)
done

status=0
for tarball in "$out"/*.tgz; do
  echo "== $(basename "$tarball")"
  # pnpm pack rewrites workspace:* ranges; a leftover one would break installs.
  if tar -xOzf "$tarball" package/package.json | grep -q '"workspace:'; then
    echo "error: a workspace: range survived packing" >&2
    status=1
  fi
  pnpm exec publint run --strict "$tarball" || status=1
  pnpm exec attw --profile esm-only --format ascii "$tarball" || status=1
done
exit "$status"
