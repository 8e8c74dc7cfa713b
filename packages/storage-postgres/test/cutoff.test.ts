import { describe, expect, it } from 'vitest';
import { Cutoff } from '../src/cutoff.js';

describe('Cutoff', () => {
  it('tells the current stage once, with the reason', () => {
    const cutoff = new Cutoff();
    const heard: unknown[] = [];
    cutoff.whenCut((reason) => heard.push(reason));
    cutoff.cut('first');
    cutoff.cut('second');
    expect(heard).toEqual(['first']);
    expect(cutoff).toMatchObject({ isCut: true, reason: 'first' });
  });

  it('tells a stage that starts after the cut at once, so no cut falls between stages', () => {
    const cutoff = new Cutoff();
    cutoff.cut('between stages');
    const heard: unknown[] = [];
    cutoff.whenCut((reason) => heard.push(reason));
    expect(heard).toEqual(['between stages']);
  });

  it('tells only the latest stage', () => {
    const cutoff = new Cutoff();
    const heard: string[] = [];
    cutoff.whenCut(() => heard.push('checkout'));
    cutoff.whenCut(() => heard.push('query'));
    cutoff.cut('x');
    expect(heard).toEqual(['query']);
  });

  it('cuts by itself after its timeout, and not once disposed', async () => {
    const expiring = Cutoff.after(10);
    const disposed = Cutoff.after(10);
    disposed.dispose();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(expiring.isCut).toBe(true);
    expect((expiring.reason as Error).message).toBe('no answer within 10 ms');
    expect(disposed.isCut).toBe(false);
  });
});
