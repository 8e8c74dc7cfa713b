import diagnosticsChannel from 'node:diagnostics_channel';
import { StorageError } from '@aa/core';
import { ManualClock } from '@aa/testing';
import { vi } from 'vitest';
import { CACHE_CHANNELS, type CacheStats, L1Cache } from '../../src/index.js';
import { settle } from '../controlled-source.js';
import { type InvariantContext, inFlightViolation, safetyViolation } from './invariants.js';
import { CacheModel } from './model.js';
import type { ModelCaller, ModelFlight } from './model-records.js';
import { describeExpected, describeSettled, OutcomeMatcher, type Settled } from './outcomes.js';
import { type LoadedValue, type ModelOptions, modelOptions, type Preset } from './presets.js';
import {
  KEYS,
  QUANTUM_MS,
  type ReentrantAction,
  type Scenario,
  type SignalChoice,
  type Step,
} from './scenario.js';
import { ScriptedSource, type SourceLoad } from './scripted-source.js';
import { ModelViolation } from './violation.js';

/** The `load` of a re-entry made by a fail-safe subscriber, which no load id names. */
const FAIL_SAFE_REENTRY = -1;

let runs = 0;

/**
 * Runs `scenario` against a real `L1Cache` configured by `preset` and against
 * the {@link CacheModel}, checking after every step; then ends it as the
 * scenario says and checks that nothing is left behind.
 *
 * Installs fake `setTimeout`/`clearTimeout` (for `loadTimeoutMs`) for the
 * duration. Rejects with a {@link ModelViolation} whose message holds the
 * trace of the run.
 */
export async function runScenario(preset: Preset, scenario: Scenario): Promise<void> {
  await new ScenarioRun(preset, scenario).execute();
}

class ScenarioRun {
  readonly #scenario: Scenario;
  readonly #options: ModelOptions;
  readonly #keys: readonly string[];
  readonly #name = `property-${++runs}`;
  readonly #clock = new ManualClock();
  readonly #model: CacheModel;
  readonly #source: ScriptedSource;
  readonly #cache: L1Cache<string, LoadedValue>;
  readonly #controllers: AbortController[] = [];
  /** By caller id: how each `get` settled, once it has. */
  readonly #outcomes: Array<Settled | undefined> = [];
  /** Callers already compared with the model (a settled promise never changes). */
  readonly #checked = new Set<number>();
  readonly #errorLoad = new Map<unknown, number>();
  readonly #matcher: OutcomeMatcher;
  readonly #invariants: InvariantContext;
  /** Keys the cache reported evicting that the model has not yet accounted for. */
  readonly #evictions: string[] = [];
  readonly #eventsAfterDispose: string[] = [];
  readonly #unhandled: unknown[] = [];
  readonly #trace: string[] = [];
  #disposedStats: CacheStats | undefined;
  #fakeNow = 0;
  #current = 'the start';
  /** What the source does from inside its next `load`, once armed by a `reenter` step. */
  #armed: ReentrantAction | undefined;
  /** What the `ttlMs` function does the next time it is called, once armed. */
  #armedTtl: ReentrantAction | undefined;
  /** What an `aa:cache:fail-safe` subscriber does on the next fallback, once armed. */
  #armedFailSafe: ReentrantAction | undefined;
  /** What it did, for the model to replay at the same point. */
  #reentry:
    | {
        readonly action: ReentrantAction;
        readonly load: number;
        readonly result: unknown;
        /** How a re-entrant get's promise settled before the model replayed it, if it has. */
        readonly settled: { outcome?: Settled };
      }
    | undefined;
  readonly #reentryNotes: string[] = [];

  constructor(preset: Preset, scenario: Scenario) {
    this.#scenario = scenario;
    this.#options = modelOptions(preset);
    this.#keys = KEYS.slice(0, scenario.keyCount);
    this.#model = new CacheModel(this.#options, {
      takeEviction: () => this.#evictions.shift(),
      sourceCalled: (flight) => this.#replayReentry(flight),
      ttlCalled: (flight) => this.#replayReentry(flight),
      failSafePublished: (flight) => this.#replayReentry(flight, true),
    });
    this.#source = new ScriptedSource(
      (key) => this.#model.version(key),
      (load) => this.#reenter(load),
    );
    const { ttl } = this.#options;
    this.#cache = new L1Cache(this.#source, {
      ...preset.options,
      // Always a function, so that a `reenter` step can arm it; it answers as
      // the preset's option would.
      ttlMs: (value, key) => {
        this.#reenterFromTtl(value);
        return typeof ttl === 'number' ? ttl : ttl(value, key);
      },
      clock: this.#clock,
      name: this.#name,
    });
    this.#invariants = {
      options: this.#options,
      loads: this.#source.loads,
      flights: this.#model.flights,
      errorLoad: this.#errorLoad,
      epoch: (key) => this.#model.epoch(key),
    };
    this.#matcher = new OutcomeMatcher({
      loads: this.#source.loads,
      controllers: this.#controllers,
      loadTimeoutMs: this.#options.loadTimeoutMs,
    });
  }

  async execute(): Promise<void> {
    const onEvent = (message: unknown, channel: string | symbol) => this.#onEvent(message, channel);
    const onUnhandled = (reason: unknown) => this.#unhandled.push(reason);
    const channels = [
      CACHE_CHANNELS.evict,
      CACHE_CHANNELS.failSafe,
      CACHE_CHANNELS.loadTimeout,
    ] as const;
    for (const channel of channels) diagnosticsChannel.subscribe(channel, onEvent);
    process.on('unhandledRejection', onUnhandled);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      if (diagnosticsChannel.tracingChannel(CACHE_CHANNELS.load).hasSubscribers) {
        // A traced load settles a few microtasks later than the model expects.
        throw new Error('someone subscribes to the load tracing channel: the model would be off');
      }
      // The loop awaits only in `tick` and `flush`: any other await would let
      // microtasks run where the model assumes they do not.
      for (const [index, step] of this.#scenario.steps.entries()) {
        this.#model.seq = index + 1;
        this.#current = `step ${index + 1} ${JSON.stringify(step)}`;
        let note: string = step.op;
        if (step.op === 'tick') {
          await Promise.resolve();
          this.#model.yieldTurn('tick');
        } else if (step.op === 'flush') {
          await settle();
          this.#model.yieldTurn('flush');
        } else {
          note = this.#runStep(step);
        }
        if (this.#reentryNotes.length > 0) note += ` [${this.#reentryNotes.splice(0).join('; ')}]`;
        this.#trace.push(`${String(index + 1).padStart(4)}. ${note}`);
        if (this.#model.disposed) this.#disposedStats ??= this.#cache.stats();
        // A caller's own abort may still count a cancellation after dispose()
        // (its listener runs before the disposal reaches it); nothing else may.
        if (step.op === 'abort' && this.#disposedStats !== undefined) {
          this.#disposedStats = this.#cache.stats();
        }
        this.#check(step.op === 'flush');
      }
      this.#current = 'the ending';
      this.#model.seq = this.#scenario.steps.length + 1;
      await this.#end();
    } catch (error) {
      if (error instanceof ModelViolation) {
        throw new ModelViolation(
          `${error.message}\n  (found at ${this.#current}, t=${this.#model.now} ms)` +
            `\n\ntrace:\n${this.#trace.join('\n')}`,
        );
      }
      throw error;
    } finally {
      this.#cache.dispose();
      vi.useRealTimers();
      for (const channel of channels) diagnosticsChannel.unsubscribe(channel, onEvent);
      process.off('unhandledRejection', onUnhandled);
    }
  }

  /** Runs a step that runs synchronously, real cache first, then the model; returns a trace note. */
  #runStep(step: Exclude<Step, { op: 'tick' | 'flush' }>): string {
    const cache = this.#cache;
    const model = this.#model;
    switch (step.op) {
      case 'get':
        return this.#get(this.#key(step.key), step.signal);
      case 'abort': {
        if (this.#controllers.length === 0) return 'abort: no controller yet';
        const index = step.controller % this.#controllers.length;
        (this.#controllers[index] as AbortController).abort(new Error(`abort #${index}`));
        model.abort(index);
        return `abort controller #${index}`;
      }
      case 'peek':
        // Every key is peeked after every step; this step only shows in the trace.
        return `peek('${this.#key(step.key)}')`;
      case 'invalidate': {
        const key = this.#key(step.key);
        const hadEntry = cache.invalidate(key);
        const expected = model.invalidate(key);
        if (hadEntry !== expected) {
          this.#fail(`invalidate('${key}') returned ${hadEntry}, expected ${expected}`);
        }
        return `invalidate('${key}') → ${hadEntry}`;
      }
      case 'clear':
        cache.clear();
        model.clear(this.#keys);
        return 'clear()';
      case 'advance': {
        const fired = this.#advance(step.quanta * QUANTUM_MS);
        const timeouts = fired.length === 0 ? '' : ` (load timeouts at t=${fired.join(', ')})`;
        return `advance ${step.quanta * QUANTUM_MS} ms → t=${model.now}${timeouts}`;
      }
      case 'write': {
        const key = this.#key(step.key);
        model.write(key);
        return `backend write of '${key}' → v${model.version(key)}`;
      }
      case 'resolve':
      case 'reject': {
        // Newest first: small indices (which fast-check favours) settle recent
        // loads, so older ones are the ones left hanging.
        const pending = this.#source.pending().reverse();
        const load = pending[step.load % Math.max(1, pending.length)];
        if (load === undefined) return `${step.op}: no load pending`;
        if (step.op === 'resolve') {
          load.resolve();
          model.sourceSettled(load.index, true, false);
          return `resolve load #${load.index} ('${load.key}'@v${load.value.version})`;
        }
        const notFound = step.error === 'notFound';
        const detail = `load #${load.index} of '${load.key}'`;
        const error = notFound ? StorageError.notFound(detail) : StorageError.backend(detail);
        this.#errorLoad.set(error, load.index);
        load.reject(error);
        model.sourceSettled(load.index, false, notFound);
        return `reject load #${load.index} ('${load.key}') with ${error.kind}`;
      }
      case 'size': {
        const size = this.#cache.size;
        const expected = model.size();
        if (size !== expected) this.#fail(`size is ${size}, expected ${expected}`);
        if (size > this.#options.maxEntries) {
          this.#fail(`size ${size} exceeds maxEntries ${this.#options.maxEntries}`);
        }
        return `size → ${size}`;
      }
      case 'dispose':
        this.#dispose();
        return 'dispose()';
      case 'reenter':
        if (step.from === 'fail-safe') {
          this.#armedFailSafe = step.action;
          return `arm a fail-safe subscriber: the next fallback calls ${step.action}() on the cache`;
        }
        if (step.from === 'ttl') {
          this.#armedTtl = step.action;
          return `arm the ttlMs function: its next call calls ${step.action}() on the cache`;
        }
        this.#armed = step.action;
        return `arm the source: its next load calls ${step.action}() on the cache`;
    }
  }

  /** The source's side of a `reenter` step: the call, made from inside `load`. */
  #reenter(load: SourceLoad): void {
    const action = this.#armed;
    if (action === undefined) return;
    this.#armed = undefined;
    this.#reentry = this.#reentryOf(action, load.index, this.#callCache(action, load.key));
  }

  /** The `ttlMs` function's side of a `reenter` step, for the load that returned `value`. */
  #reenterFromTtl(value: LoadedValue): void {
    const action = this.#armedTtl;
    if (action === undefined) return;
    this.#armedTtl = undefined;
    // The model replays this when it settles the load, after the cache has:
    // how the get settled meanwhile is recorded now.
    this.#reentry = this.#reentryOf(action, value.load, this.#callCache(action, value.key));
  }

  #reentryOf(action: ReentrantAction, load: number, result: unknown) {
    const settled: { outcome?: Settled } = {};
    if (result instanceof Promise) {
      result.then(
        (value: unknown) => {
          settled.outcome = { ok: true, value };
        },
        (error: unknown) => {
          settled.outcome = { ok: false, error };
        },
      );
    }
    return { action, load, result, settled };
  }

  #callCache(action: ReentrantAction, key: string): unknown {
    if (action === 'get') return this.#cache.get(key);
    if (action === 'invalidate') return this.#cache.invalidate(key);
    if (action === 'clear') this.#cache.clear();
    else this.#cache.dispose();
    return undefined;
  }

  /** The model's side: the same call, at the same point of the same load's start. */
  #replayReentry(flight: ModelFlight, anyLoad = false): void {
    const reentry = this.#reentry;
    if (reentry === undefined || (!anyLoad && reentry.load !== flight.id)) return;
    if (anyLoad && reentry.load !== FAIL_SAFE_REENTRY) return;
    this.#reentry = undefined;
    const { key } = flight;
    const model = this.#model;
    switch (reentry.action) {
      case 'get': {
        const { caller, started } = model.get(key, undefined, false);
        this.#observe(caller, reentry.result);
        if (reentry.settled.outcome !== undefined) {
          this.#outcomes[caller.id] = reentry.settled.outcome;
        }
        if (started.length > 0) this.#fail(`a re-entrant get('${key}') should start no load`);
        this.#reentryNotes.push(
          `load #${flight.id} calls get #${caller.id}('${key}') → ${caller.how}`,
        );
        return;
      }
      case 'invalidate': {
        const expected = model.invalidate(key);
        if (reentry.result !== expected) {
          this.#fail(
            `a re-entrant invalidate('${key}') returned ${String(reentry.result)}, expected ${expected}`,
          );
        }
        this.#reentryNotes.push(`load #${flight.id} calls invalidate('${key}') → ${expected}`);
        return;
      }
      case 'clear':
        model.clear(this.#keys);
        this.#reentryNotes.push(`load #${flight.id} calls clear()`);
        return;
      case 'dispose':
        model.dispose();
        this.#reentryNotes.push(`load #${flight.id} calls dispose()`);
        return;
    }
  }

  /** Records how the promise `get` returned for `caller` settles. */
  #observe(caller: ModelCaller, promise: unknown): void {
    if (!(promise instanceof Promise)) {
      const what = promise === null || typeof promise !== 'object' ? String(promise) : 'an object';
      this.#fail(`get #${caller.id}('${caller.key}') returned ${what}, not a promise`);
    }
    promise.then(
      (value: unknown) => {
        this.#outcomes[caller.id] = { ok: true, value };
      },
      (error: unknown) => {
        this.#outcomes[caller.id] = { ok: false, error };
      },
    );
  }

  #get(key: string, choice: SignalChoice): string {
    let controller: number | undefined;
    if (choice === 'new' || (typeof choice === 'number' && this.#controllers.length === 0)) {
      controller = this.#controllers.push(new AbortController()) - 1;
    } else if (typeof choice === 'number') {
      controller = choice % this.#controllers.length;
    }
    const signal = controller === undefined ? undefined : this.#controllers[controller]?.signal;
    const aborted = signal?.aborted ?? false;
    const before = this.#source.loads.length;
    let promise: Promise<LoadedValue>;
    try {
      promise = signal === undefined ? this.#cache.get(key) : this.#cache.get(key, { signal });
    } catch (error) {
      return this.#fail(`get('${key}') threw synchronously: ${String(error)}`);
    }
    const { caller, started } = this.#model.get(key, controller, aborted);
    this.#observe(caller, promise);
    const loads = this.#source.loads.slice(before);
    const actualKeys = loads.map((load) => load.key).join(', ');
    const expectedKeys = started.map((flight) => flight.key).join(', ');
    if (actualKeys !== expectedKeys) {
      this.#fail(
        `get('${key}') started loads of [${actualKeys}], expected [${expectedKeys}] (the model says: ${caller.how})`,
      );
    }
    const withSignal =
      controller === undefined ? '' : `, signal #${controller}${aborted ? ' (aborted)' : ''}`;
    const flight = caller.flight === undefined ? '' : ` load #${caller.flight.id}`;
    const refresh = started.some((load) => load.background) ? ', refresh started' : '';
    return `get #${caller.id}('${key}'${withSignal}) → ${caller.how}${flight}${refresh}`;
  }

  /** Moves the clock and the fake timers together, stopping at each load timeout due on the way. */
  #advance(ms: number): number[] {
    const target = this.#model.now + ms;
    const fired: number[] = [];
    for (;;) {
      const next = this.#model.nextTimeout(target);
      const to = next ?? target;
      this.#clock.set(to);
      vi.advanceTimersByTime(to - this.#fakeNow);
      this.#fakeNow = to;
      this.#model.advanceTo(to);
      if (next === undefined) return fired;
      fired.push(next);
    }
  }

  #dispose(): void {
    this.#cache.dispose();
    this.#model.dispose();
  }

  async #end(): Promise<void> {
    const { ending } = this.#scenario;
    if (ending !== 'settle') {
      this.#dispose();
      this.#disposedStats ??= this.#cache.stats();
      await this.#flush('end: dispose(), flush');
    }
    if (ending !== 'dispose-and-hang') {
      const outcomes = this.#scenario.finalOutcomes;
      for (const [index, load] of this.#source.pending().entries()) {
        if (outcomes[index % outcomes.length] === true) {
          load.resolve();
          this.#model.sourceSettled(load.index, true, false);
        } else {
          const error = StorageError.backend(`load #${load.index} of '${load.key}', at the end`);
          this.#errorLoad.set(error, load.index);
          load.reject(error);
          this.#model.sourceSettled(load.index, false, false);
        }
      }
      await this.#flush('end: settle every pending load, flush');
    }
    const disposed = this.#model.disposed;
    if (disposed || this.#source.pending().length === 0) {
      if (this.#cache.pendingLoads !== 0) {
        this.#fail(`pendingLoads is ${this.#cache.pendingLoads} once every load has settled`);
      }
    }
    const waiting = this.#model.callers.filter((caller) => this.#outcomes[caller.id] === undefined);
    if (waiting.length > 0) {
      this.#fail(
        `gets still pending at the end: #${waiting.map((caller) => caller.id).join(', #')}`,
      );
    }
    if (vi.getTimerCount() !== 0) {
      this.#fail(`${vi.getTimerCount()} timer(s) left once every load has settled`);
    }
    const size = this.#cache.size;
    if (size !== this.#model.size() || size > this.#options.maxEntries) {
      this.#fail(`size is ${size} at the end, expected ${this.#model.size()}`);
    }
  }

  async #flush(description: string): Promise<void> {
    await settle();
    this.#model.yieldTurn('flush');
    this.#trace.push(`     ${description}`);
    this.#check(true);
  }

  #onEvent(message: unknown, channel: string | symbol): void {
    const event = message as { cache?: unknown; key?: unknown };
    if (event.cache !== this.#name) return;
    if (this.#model.disposed)
      this.#eventsAfterDispose.push(`${String(channel)} (${String(event.key)})`);
    if (channel === CACHE_CHANNELS.evict) this.#evictions.push(String(event.key));
    const action = this.#armedFailSafe;
    if (channel === CACHE_CHANNELS.failSafe && action !== undefined) {
      this.#armedFailSafe = undefined;
      const key = String(event.key);
      this.#reentry = this.#reentryOf(action, FAIL_SAFE_REENTRY, this.#callCache(action, key));
    }
  }

  /** Everything observable, compared with the model. `flushed`: every microtask has run. */
  #check(flushed: boolean): void {
    const cache = this.#cache;
    const model = this.#model;
    const loads = this.#source.loads;
    if (loads.length !== model.flights.length) {
      this.#fail(`the source saw ${loads.length} loads, the model expects ${model.flights.length}`);
    }
    if (this.#evictions.length > 0) {
      this.#fail(`the cache evicted [${this.#evictions.join(', ')}] with no need to`);
    }
    if (this.#eventsAfterDispose.length > 0) {
      this.#fail(`events after dispose(): ${this.#eventsAfterDispose.join(', ')}`);
    }
    if (this.#unhandled.length > 0) {
      this.#fail(
        `unhandled rejection: ${describeSettled({ ok: false, error: this.#unhandled[0] })}`,
      );
    }
    for (const key of this.#keys) {
      const actual = cache.peek(key);
      const load = model.peek(key);
      const expected = load === undefined ? undefined : loads[load]?.value;
      if (actual !== expected) {
        this.#fail(
          `peek('${key}') is ${actual === undefined ? 'undefined' : describeSettled({ ok: true, value: actual })}, ` +
            `expected ${load === undefined ? 'undefined' : `the value of load #${load}`}`,
        );
      }
    }
    const inFlight = inFlightViolation(this.#invariants, this.#matcher, cache.pendingLoads);
    if (inFlight !== undefined) this.#fail(inFlight);
    if (cache.pendingLoads !== model.pendingLoads) {
      this.#fail(`pendingLoads is ${cache.pendingLoads}, expected ${model.pendingLoads}`);
    }
    const stats = cache.stats();
    const differences = Object.entries(model.stats)
      .filter(([name, value]) => stats[name as keyof CacheStats] !== value)
      .map(([name, value]) => `${name} ${stats[name as keyof CacheStats]} (expected ${value})`);
    if (differences.length > 0) this.#fail(`stats differ: ${differences.join(', ')}`);
    if (this.#disposedStats !== undefined) {
      const changed = Object.entries(this.#disposedStats).filter(
        ([name, value]) => stats[name as keyof CacheStats] !== value,
      );
      if (changed.length > 0) {
        this.#fail(`stats changed after dispose(), other than by an abort: ${changed[0]?.[0]}`);
      }
    }
    this.#checkCallers(flushed);
  }

  #checkCallers(flushed: boolean): void {
    for (const caller of this.#model.callers) {
      if (this.#checked.has(caller.id)) continue;
      const actual = this.#outcomes[caller.id];
      const expected = caller.expected;
      if (actual === undefined) {
        if (flushed && expected !== undefined) {
          this.#fail(
            `get #${caller.id} ('${caller.key}') is still pending, expected ${describeExpected(expected)}`,
          );
        }
        continue;
      }
      // The contract's own statements first, then the model's exact prediction.
      const unsafe = safetyViolation(caller, actual, this.#invariants);
      if (unsafe !== undefined) this.#fail(unsafe);
      if (expected === undefined || !this.#matcher.matches(expected, actual)) {
        this.#fail(
          `get #${caller.id} ('${caller.key}', ${caller.how}) settled with ${describeSettled(actual)}, ` +
            `expected ${describeExpected(expected)}`,
        );
      }
      this.#checked.add(caller.id);
    }
  }

  #key(index: number): string {
    return this.#keys[index % this.#keys.length] as string;
  }

  #fail(message: string): never {
    throw new ModelViolation(message);
  }
}
