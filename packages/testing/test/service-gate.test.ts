import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireService } from '../src/index.js';

describe('requireService()', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('lets the suite run when the probe succeeds', async () => {
    await expect(requireService('X', async () => 'pong', { hint: 'start X' })).resolves.toBe(true);
  });

  it('skips with one loud line saying how to run it when the server is unreachable', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const probe = async () => {
      throw new Error('ECONNREFUSED');
    };

    await expect(requireService('X at :1', probe, { hint: 'start X', env: {} })).resolves.toBe(
      false,
    );

    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toMatch(
      /SKIPPING the suites that need X at :1: unreachable \(ECONNREFUSED\)[\s\S]*start X/,
    );
  });

  it('fails instead when AA_REQUIRE_SERVICES=1', async () => {
    const probe = async () => {
      throw new Error('ECONNREFUSED');
    };
    await expect(
      requireService('X', probe, { hint: 'start X', env: { AA_REQUIRE_SERVICES: '1' } }),
    ).rejects.toThrow('X is unreachable (ECONNREFUSED) and AA_REQUIRE_SERVICES=1');
  });

  it('treats a probe that hangs as unreachable after the timeout', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const hang = () => new Promise(() => {});
    await expect(
      requireService('X', hang, { hint: 'start X', timeoutMs: 20, env: {} }),
    ).resolves.toBe(false);
  });
});
