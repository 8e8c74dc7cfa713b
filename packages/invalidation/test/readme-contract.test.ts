import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packagesDir = join(import.meta.dirname, '..', '..');
const START = /<!-- subscriber-contract:start[^>]*-->/;
const END = '<!-- subscriber-contract:end -->';

/** The subscriber-contract block of each package README that has one. */
function contractBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const name of readdirSync(packagesDir)) {
    let readme: string;
    try {
      readme = readFileSync(join(packagesDir, name, 'README.md'), 'utf8');
    } catch {
      continue;
    }
    const start = readme.search(START);
    if (start === -1) continue;
    const end = readme.indexOf(END, start);
    expect(end, `${name}/README.md closes its subscriber-contract block`).toBeGreaterThan(start);
    blocks.set(name, readme.slice(start, end));
  }
  return blocks;
}

describe('the subscriber contract in the READMEs', () => {
  it('is in the core and every transport package README, in the same words', () => {
    const blocks = contractBlocks();
    for (const name of [
      'invalidation',
      'invalidation-gateway',
      'invalidation-redis',
      'storage-postgres',
    ]) {
      expect(blocks.has(name), `${name}/README.md has the block`).toBe(true);
    }
    const reference = blocks.get('invalidation');
    for (const [name, block] of blocks) {
      expect(block, `${name}/README.md says what invalidation/README.md says`).toBe(reference);
    }
  });
});
