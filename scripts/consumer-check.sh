#!/usr/bin/env bash
# Installs the tarballs `pnpm release:check` packed into .release/ in a fresh
# npm project outside the workspace, as a stranger would, and runs the
# README's tenant-aware setup against the PostgreSQL at AA_PG_URL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shopt -s nullglob
tarballs=("$root"/.release/*.tgz)
if [ ${#tarballs[@]} -eq 0 ]; then
  echo "consumer-check: no tarballs in .release/; run pnpm release:check first" >&2
  exit 1
fi

project="$(mktemp -d)"
trap 'rm -rf "$project"' EXIT
cd "$project"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
pg_version="$(node -p "require('$root/packages/storage-postgres/package.json').peerDependencies?.pg ?? require('$root/packages/storage-postgres/package.json').dependencies?.pg")"
npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" "pg@$pg_version" >/dev/null
cp "$root/scripts/consumer/tenant-check.mjs" .
node tenant-check.mjs
