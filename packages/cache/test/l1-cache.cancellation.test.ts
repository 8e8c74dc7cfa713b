import { describe, expect, it, vi } from 'vitest';
import { L1Cache } from '../src/index.js';
import {
  ControlledSource,
  failOnUnhandledRejections,
  observe,
  settle,
} from './controlled-source.js';

function setup() {
  const source = new ControlledSource<string, string>();
  return { source, cache: new L1Cache(source) };
}

/** An AbortSignal that can tell how many 'abort' listeners are registered on it. */
function countingSignal() {
  const controller = new AbortController();
  const { signal } = controller;
  const added = vi.spyOn(signal, 'addEventListener');
  const removed = vi.spyOn(signal, 'removeEventListener');
  // Every caller registers its own closure, so a set difference is exact here
  // (no caller in these tests leaves through its `once` listener).
  const abortListeners = () => {
    const live = new Set(
      added.mock.calls.filter(([type]) => type === 'abort').map((call) => call[1]),
    );
    for (const [type, listener] of removed.mock.calls) if (type === 'abort') live.delete(listener);
    return live.size;
  };
  return { controller, signal, abortListeners };
}

describe('L1Cache', () => {
  describe('get() with a signal', () => {
    failOnUnhandledRejections();

    describe('when one caller aborts', () => {
      it('rejects only that caller, with the very reason it aborted with', async () => {
        const { source, cache } = setup();
        const leaving = new AbortController();
        const staying = new AbortController();
        const aborted = observe(cache.get('k', { signal: leaving.signal }));
        const signalled = observe(cache.get('k', { signal: staying.signal }));
        const unsignalled = observe(cache.get('k'));
        const reason = { why: 'the client hung up' };

        leaving.abort(reason);
        await settle();

        expect(aborted.state).toBe('rejected');
        expect(aborted.reason).toBe(reason);
        expect(signalled.state).toBe('pending');
        expect(unsignalled.state).toBe('pending');
        expect(source.signalOf(0).aborted).toBe(false);
      });

      it("rejects that caller with the signal's default AbortError when aborted without a reason", async () => {
        const { cache } = setup();
        const controller = new AbortController();
        const aborted = observe(cache.get('k', { signal: controller.signal }));
        void cache.get('k');

        controller.abort();
        await settle();

        expect(aborted.reason).toBe(controller.signal.reason);
        expect(aborted.reason).toBeInstanceOf(DOMException);
        expect((aborted.reason as DOMException).name).toBe('AbortError');
      });

      it('rejects that caller at once, before the load settles', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const aborted = observe(cache.get('k', { signal: controller.signal }));
        void cache.get('k');

        controller.abort(new Error('gone'));
        await settle();

        expect(aborted.state).toBe('rejected');
        expect(source.callCount).toBe(1);
        expect(cache.pendingLoads).toBe(1);
      });

      it('lets the shared load go on: the source signal stays live, the others get the value, and it is stored', async () => {
        const { source, cache } = setup();
        const leaving = new AbortController();
        const staying = new AbortController();
        const aborted = observe(cache.get('k', { signal: leaving.signal }));
        const signalled = cache.get('k', { signal: staying.signal });
        const unsignalled = cache.get('k');

        leaving.abort(new Error('gone'));
        await settle();
        expect(source.signalOf(0).aborted).toBe(false);

        source.resolve(0, 'value');
        await expect(signalled).resolves.toBe('value');
        await expect(unsignalled).resolves.toBe('value');
        expect(aborted.state).toBe('rejected');
        expect(cache.peek('k')).toBe('value');
        await expect(cache.get('k')).resolves.toBe('value');
        expect(source.callCount).toBe(1);
      });

      it('lets the other signalled callers get the value when no caller without a signal waits', async () => {
        const { source, cache } = setup();
        const controllers = [new AbortController(), new AbortController(), new AbortController()];
        const callers = controllers.map((controller) =>
          observe(cache.get('k', { signal: controller.signal })),
        );

        controllers[0]?.abort(new Error('first left'));
        controllers[1]?.abort(new Error('second left'));
        await settle();
        expect(source.signalOf(0).aborted).toBe(false);
        expect(cache.pendingLoads).toBe(1);

        source.resolve(0, 'value');
        await settle();
        expect(callers.map((caller) => caller.state)).toEqual([
          'rejected',
          'rejected',
          'fulfilled',
        ]);
        expect(callers[2]?.value).toBe('value');
        expect(cache.peek('k')).toBe('value');
      });
    });

    describe('when every caller of a load aborts', () => {
      it('aborts the signal handed to the source', async () => {
        const { source, cache } = setup();
        const first = new AbortController();
        const second = new AbortController();
        const callers = [
          observe(cache.get('k', { signal: first.signal })),
          observe(cache.get('k', { signal: second.signal })),
        ];

        first.abort(new Error('first left'));
        await settle();
        expect(source.signalOf(0).aborted).toBe(false);

        second.abort(new Error('second left'));
        await settle();
        expect(source.signalOf(0).aborted).toBe(true);
        expect(callers.map((caller) => caller.reason)).toEqual([
          first.signal.reason,
          second.signal.reason,
        ]);
      });

      it('cancels the load when the one signal its callers share aborts', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const callers = [
          observe(cache.get('k', { signal: controller.signal })),
          observe(cache.get('k', { signal: controller.signal })),
        ];

        controller.abort();
        await settle();

        expect(callers.map((caller) => caller.reason)).toEqual([
          controller.signal.reason,
          controller.signal.reason,
        ]);
        expect(source.signalOf(0).aborted).toBe(true);
        expect(cache.pendingLoads).toBe(0);
        expect(cache.stats().cancellations).toBe(2);
      });

      it('frees the key: pendingLoads drops to 0 and the next get starts a new load', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        void cache.get('k', { signal: controller.signal }).catch(() => {});
        expect(cache.pendingLoads).toBe(1);

        controller.abort();
        expect(cache.pendingLoads).toBe(0);

        const next = cache.get('k');
        expect(source.callCount).toBe(2);
        expect(source.signalOf(1).aborted).toBe(false);
        source.resolve(1, 'fresh');
        await expect(next).resolves.toBe('fresh');
        expect(cache.peek('k')).toBe('fresh');
      });

      it('does not store the late result of the abandoned load', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const abandoned = observe(cache.get('k', { signal: controller.signal }));
        controller.abort();

        source.resolve(0, 'late');
        await settle();

        expect(abandoned.state).toBe('rejected');
        expect(cache.peek('k')).toBeUndefined();
        expect(cache.size).toBe(0);
        expect(cache.pendingLoads).toBe(0);
      });

      it('does not let the late result of the abandoned load settle or overwrite a newer load', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        void cache.get('k', { signal: controller.signal }).catch(() => {});
        controller.abort();
        const newer = observe(cache.get('k'));

        source.resolve(0, 'late');
        await settle();
        expect(newer.state).toBe('pending');
        expect(cache.peek('k')).toBeUndefined();

        source.resolve(1, 'fresh');
        await settle();
        expect(newer).toMatchObject({ state: 'fulfilled', value: 'fresh' });
        expect(cache.peek('k')).toBe('fresh');
      });

      it('raises no unhandled rejection when the abandoned load later fails', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const abandoned = observe(cache.get('k', { signal: controller.signal }));
        controller.abort();

        source.reject(0, new Error('late failure'));
        await settle();

        expect(abandoned.reason).toBe(controller.signal.reason);
        expect(cache.stats().loadFailures).toBe(0);
        // The afterEach hook asserts that nothing was reported as unhandled.
      });
    });

    describe('a caller without a signal', () => {
      it('pins the load: every signalled caller aborting leaves the source signal live', async () => {
        const { source, cache } = setup();
        const pinned = cache.get('k');
        const controllers = [new AbortController(), new AbortController()];
        for (const controller of controllers) {
          void cache.get('k', { signal: controller.signal }).catch(() => {});
        }

        for (const controller of controllers) controller.abort();
        await settle();

        expect(source.signalOf(0).aborted).toBe(false);
        expect(cache.pendingLoads).toBe(1);
        source.resolve(0, 'value');
        await expect(pinned).resolves.toBe('value');
        expect(cache.peek('k')).toBe('value');
      });

      it('pins the load even when it joins after the signalled callers', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        void cache.get('k', { signal: controller.signal }).catch(() => {});
        const pinned = cache.get('k');

        controller.abort();
        await settle();

        expect(source.signalOf(0).aborted).toBe(false);
        source.resolve(0, 'value');
        await expect(pinned).resolves.toBe('value');
      });
    });

    describe('with an already-aborted signal', () => {
      it('rejects at once with its reason without starting a load', async () => {
        const { source, cache } = setup();
        const reason = new Error('already gone');
        const signal = AbortSignal.abort(reason);

        await expect(cache.get('k', { signal })).rejects.toBe(reason);
        expect(source.callCount).toBe(0);
        expect(cache.pendingLoads).toBe(0);
      });

      it("rejects with the signal's default AbortError", async () => {
        const { source, cache } = setup();
        const signal = AbortSignal.abort();

        const error = await cache.get('k', { signal }).catch((reason: unknown) => reason);
        expect(error).toBe(signal.reason);
        expect((error as DOMException).name).toBe('AbortError');
        expect(source.callCount).toBe(0);
      });

      it('rejects even for a key with a fresh entry', async () => {
        const { source, cache } = setup();
        const warm = cache.get('k');
        source.resolve(0, 'value');
        await warm;
        const reason = new Error('already gone');

        await expect(cache.get('k', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
        expect(source.callCount).toBe(1);
      });

      it('neither joins nor disturbs a load of the key in flight', async () => {
        const { source, cache } = setup();
        const waiting = cache.get('k');

        await expect(cache.get('k', { signal: AbortSignal.abort() })).rejects.toThrow();
        expect(source.callCount).toBe(1);
        expect(source.signalOf(0).aborted).toBe(false);

        source.resolve(0, 'value');
        await expect(waiting).resolves.toBe('value');
      });
    });

    describe('abort listeners', () => {
      it('are removed once the load settles, whatever its outcome', async () => {
        const { source, cache } = setup();
        const { signal, abortListeners } = countingSignal();

        for (let index = 0; index < 40; index++) {
          const read = cache.get(`k${index}`, { signal });
          expect(abortListeners()).toBe(1);
          if (index % 2 === 0) source.resolve(index, `v${index}`);
          else source.reject(index, new Error(`load ${index} failed`));
          await read.catch(() => {});
          await settle();
          expect(abortListeners()).toBe(0);
        }
      });

      it('are one for coalesced callers sharing a signal, removed after they all settle', async () => {
        const { source, cache } = setup();
        const { signal, abortListeners } = countingSignal();
        const reads = Array.from({ length: 5 }, () => cache.get('k', { signal }));
        expect(abortListeners()).toBe(1);

        source.resolve(0, 'value');
        await Promise.all(reads);
        await settle();

        expect(abortListeners()).toBe(0);
      });

      it('leave a long-lived signal inert: aborting it after many loads rejects nothing and counts nothing', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const reads: ReturnType<typeof observe<string>>[] = [];
        for (let index = 0; index < 40; index++) {
          reads.push(observe(cache.get(`k${index}`, { signal: controller.signal })));
          source.resolve(index, `v${index}`);
          await settle();
        }

        expect(() => controller.abort(new Error('shutdown'))).not.toThrow();
        await settle();

        expect(reads.every((read) => read.state === 'fulfilled')).toBe(true);
        expect(cache.stats().cancellations).toBe(0);
        expect(source.loads.every((load) => load.options?.signal?.aborted === false)).toBe(true);
        expect(cache.size).toBe(40);
      });
    });

    describe('stats().cancellations', () => {
      it('counts each caller who left a load by aborting', async () => {
        const { source, cache } = setup();
        const controllers = [new AbortController(), new AbortController(), new AbortController()];
        const pinned = cache.get('k');
        for (const controller of controllers) {
          void cache.get('k', { signal: controller.signal }).catch(() => {});
        }
        void cache.get('other', { signal: controllers[0]?.signal }).catch(() => {});

        for (const controller of controllers) controller.abort();
        await settle();
        expect(cache.stats().cancellations).toBe(4);

        source.resolve(0, 'value');
        await pinned;
        expect(cache.stats()).toMatchObject({ cancellations: 4, loads: 2, misses: 5 });
      });

      it('does not count callers who stayed until the load settled', async () => {
        const { source, cache } = setup();
        const controller = new AbortController();
        const read = cache.get('k', { signal: controller.signal });
        source.resolve(0, 'value');
        await read;

        expect(cache.stats().cancellations).toBe(0);
      });
    });
  });
});
