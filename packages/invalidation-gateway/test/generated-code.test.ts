import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('the generated code', () => {
  it('is exactly what buf generate writes from proto/ (regenerate with `pnpm generate`)', () => {
    const out = mkdtempSync(join(tmpdir(), 'aa-gateway-gen-'));
    try {
      const template = readFileSync(join(root, 'buf.gen.yaml'), 'utf8').replace(
        'out: src/generated',
        `out: ${out}`,
      );
      writeFileSync(join(out, 'buf.gen.yaml'), template);
      execFileSync('buf', ['generate', '--template', join(out, 'buf.gen.yaml')], {
        cwd: root,
        env: {
          ...process.env,
          PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env['PATH']}`,
        },
        timeout: 60_000,
      });
      const fresh = readFileSync(join(out, 'invalidation_pb.ts'), 'utf8');
      const checkedIn = readFileSync(join(root, 'src/generated/invalidation_pb.ts'), 'utf8');
      expect(checkedIn).toBe(fresh);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
