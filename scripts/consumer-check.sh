#!/usr/bin/env bash
# Installs the tarballs `pnpm release:check` packed into .release/ in a fresh
# npm project outside the workspace, as a stranger would, compiles every README
# example, runs those marked as complete programs (see readme-blocks.mjs) and
# the README's tenant-aware setup against the PostgreSQL at AA_PG_URL.
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
cp "$root/scripts/consumer/tenant-check.mjs" "$root/scripts/consumer/types-check.ts" \
  "$root/scripts/consumer/readme-prelude.d.ts" .

# Types, as a strict TypeScript consumer sees them: only the packages and
# @types/node installed, skipLibCheck off, under nodenext and bundler.
ts_version="$(node -p "require('$root/package.json').devDependencies.typescript")"
node_types="$(node -p "require('$root/package.json').devDependencies['@types/node']")"
npm install --no-audit --no-fund --loglevel=error "typescript@$ts_version" "@types/node@$node_types" >/dev/null
for resolution in nodenext bundler; do
  module=$([ "$resolution" = bundler ] && echo esnext || echo nodenext)
  npx tsc --noEmit --strict --skipLibCheck false --target es2022 --lib es2023 \
    --module "$module" --moduleResolution "$resolution" --types node types-check.ts
  echo "consumer check: types resolve under $resolution"
done

# Every TypeScript example of every README, as printed, against the tarballs.
# Private packages (@aa/test-infra) ship no tarball: their READMEs are skipped.
readmes=("$root/README.md")
for readme in "$root"/packages/*/README.md; do
  if [ "$(node -p "require('$(dirname "$readme")/package.json').private === true")" != true ]; then
    readmes+=("$readme")
  fi
done
blocks=$(node "$root/scripts/consumer/readme-blocks.mjs" "${readmes[@]}")
npm install --no-audit --no-fund --loglevel=error \
  "ioredis@$(node -p "require('$root/packages/storage-redis/package.json').dependencies.ioredis")" \
  "vitest@$(node -p "require('$root/packages/testing/package.json').devDependencies.vitest")" >/dev/null
# Emitted only when every block compiles; the excerpts' JavaScript is not used.
# shellcheck disable=SC2086
npx tsc --noEmitOnError --outDir readme-js --strict --skipLibCheck false --target es2022 \
  --lib es2023 --module nodenext --moduleResolution nodenext --types node $blocks
echo "consumer check: $(echo "$blocks" | wc -w) README examples compile"

# The examples marked <!-- run --> are complete programs: run each, compiled
# to JavaScript above (Node 20 strips no types), against the real servers.
runnable=(readme-*.mts)
for program in "${runnable[@]}"; do
  if ! AA_PG_URL="${AA_PG_URL:-postgres://postgres@127.0.0.1:5432/test}" \
    AA_REDIS_URL="${AA_CONSUMER_REDIS_URL:-redis://127.0.0.1:6379/10}" \
    timeout 60 node "readme-js/${program%.mts}.mjs" >"$program.out" 2>&1; then
    echo "consumer check: the README example $(head -1 "$program" | cut -c4-) failed:" >&2
    cat "$program.out" >&2
    exit 1
  fi
done
echo "consumer check: ${#runnable[@]} runnable README examples ran"

# Only code that parses documents pays for zod: a bundle of L1Cache alone
# stays within its budget.
budget=30000
esbuild_version="$(cd "$root" && node -p "require(require.resolve('esbuild/package.json', { paths: [require.resolve('tsup')] })).version")"
npm install --no-audit --no-fund --loglevel=error "esbuild@$esbuild_version" >/dev/null
echo "import { L1Cache } from '@aa/cache'; console.log(L1Cache);" > cache-only.mjs
npx esbuild cache-only.mjs --bundle --minify --platform=node --format=esm \
  --outfile=cache-only.bundle.js --log-level=error
size=$(wc -c < cache-only.bundle.js)
echo "consumer check: import { L1Cache } bundles to $size bytes minified (budget $budget)"
if [ "$size" -gt "$budget" ]; then
  echo "consumer check: the L1Cache-only bundle is over its budget" >&2
  exit 1
fi

node tenant-check.mjs
