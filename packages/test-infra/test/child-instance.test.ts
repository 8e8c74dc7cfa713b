import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildInstance } from '../src/index.js';

describe('ChildInstance', () => {
  let child: ChildInstance;
  beforeAll(async () => {
    child = new ChildInstance({
      script: new URL('./fixtures/echo-process.ts', import.meta.url),
      cwd: new URL('..', import.meta.url),
    });
    await child.next('ready', 30_000);
  }, 40_000);
  afterAll(() => child.kill());

  it('awaits the message that matches, past unread ones of the same type', async () => {
    child.send({
      type: 'say',
      messages: [
        { type: 'invalidated', id: 'other' },
        { type: 'invalidated', id: 'mine' },
        { type: 'invalidated', id: 'later' },
      ],
    });
    const mine = await child.next('invalidated', 5_000, (message) => message.id === 'mine');
    expect(mine).toMatchObject({ id: 'mine' });
    // What came before it was read with it; what came after was not.
    expect(await child.next('invalidated')).toMatchObject({ id: 'later' });
    expect(child.has('invalidated')).toBe(false);
  });

  it('fails at once on a failed message before the match, and not on one after it', async () => {
    child.send({
      type: 'say',
      messages: [
        { type: 'invalidated', id: 'other' },
        { type: 'failed', message: 'boom' },
        { type: 'invalidated', id: 'mine' },
      ],
    });
    await expect(
      child.next('invalidated', 5_000, (message) => message.id === 'mine'),
    ).rejects.toThrow('the child failed while invalidated was awaited: boom');
    expect(await child.next('invalidated')).toMatchObject({ id: 'mine' });
  });

  it('gives up at its deadline when no message matches', async () => {
    child.send({ type: 'say', messages: [{ type: 'invalidated', id: 'other' }] });
    await expect(
      child.next('invalidated', 200, (message) => message.id === 'mine'),
    ).rejects.toThrow('no invalidated message from the child within 200 ms');
  });

  it('fails at once when the child exits first, and reports its exit code', async () => {
    const waiting = child.next('never', 30_000);
    child.send({ type: 'exit' });
    await expect(waiting).rejects.toThrow('the child exited (code 0, signal null)');
    await expect(child.close()).resolves.toBe(0);
  });
});
