import fc from 'fast-check';

/** The keys a scenario draws from; each scenario uses the first `keyCount` of them. */
export const KEYS = ['a', 'b', 'c', 'd'] as const;

/**
 * Which signal a `get` passes: none, a new `AbortController`'s, or that of an
 * earlier controller (by index, modulo how many exist; a new one if none does),
 * which may already be aborted.
 */
export type SignalChoice = 'none' | 'new' | number;

/**
 * One command of a scenario. Indices (`key`, `load`, `controller`) are taken
 * modulo what exists when the step runs, so every shrunk sequence stays valid;
 * a step with nothing to act on (no load pending, no controller) does nothing.
 */
export type Step =
  | { readonly op: 'get'; readonly key: number; readonly signal: SignalChoice }
  | { readonly op: 'abort'; readonly controller: number }
  | { readonly op: 'peek'; readonly key: number }
  | { readonly op: 'invalidate'; readonly key: number }
  | { readonly op: 'clear' }
  /** Moves the clock (and the fake timers) forward by `quanta` × {@link QUANTUM_MS}. */
  | { readonly op: 'advance'; readonly quanta: number }
  /** A backend write: loads of `key` started from now on return a new version. */
  | { readonly op: 'write'; readonly key: number }
  /** Fulfils a source load still pending at the source (`load` counts from the newest; a late one included). */
  | { readonly op: 'resolve'; readonly load: number }
  /** Rejects a source load still pending at the source (counted as for `resolve`) with a `StorageError`. */
  | { readonly op: 'reject'; readonly load: number; readonly error: 'backend' | 'notFound' }
  /** Lets the microtasks queued so far run, but not those they queue. */
  | { readonly op: 'tick' }
  /** Lets every microtask run (a macrotask turn). */
  | { readonly op: 'flush' }
  | { readonly op: 'size' }
  | { readonly op: 'dispose' }
  /**
   * Arms user code to make this call on the cache, for the key concerned,
   * synchronously: the source, from inside its next `load` (`from: 'load'`), or
   * the `ttlMs` function, the next time the cache asks it for a TTL (`'ttl'`).
   */
  | { readonly op: 'reenter'; readonly action: ReentrantAction; readonly from: ReentryPoint };

/**
 * Where user code re-enters the cache: the source's `load`, the `ttlMs`
 * function, or a subscriber to `aa:cache:fail-safe` (on the next fallback).
 */
export type ReentryPoint = 'load' | 'ttl' | 'fail-safe';

/** What a re-entrant source does to the cache from inside `load`. */
export type ReentrantAction = 'get' | 'invalidate' | 'clear' | 'dispose';

/**
 * How a scenario ends, after its steps: every load still pending at the source
 * settles; or the cache is disposed first and the loads settle late; or it is
 * disposed and the loads hang forever.
 */
export type Ending = 'settle' | 'dispose-then-settle' | 'dispose-and-hang';

/** A generated run: the keys in play, the steps, and how it ends. */
export interface Scenario {
  readonly keyCount: number;
  readonly steps: readonly Step[];
  readonly ending: Ending;
  /** Cycled over the loads still pending at the end: `true` resolves, `false` rejects. */
  readonly finalOutcomes: readonly boolean[];
}

/**
 * Every duration is a multiple of this, so expiry deadlines fall on the entry
 * store's timer-wheel ticks and reclaiming is exact (see `TimerWheel.RESOLUTION_MS`).
 */
export const QUANTUM_MS = 64;

const index = fc.nat({ max: 7 });
const key = fc.nat({ max: KEYS.length - 1 });

/**
 * Mostly steps around the TTLs in play, now and then a jump to the timer
 * wheel's coarser levels: 64 quanta is exactly its second level's 4,096 ms, and
 * 4,100 quanta reaches its third (≥ 262,144 ms).
 */
const quanta = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom(0, 1, 1, 2, 2, 3, 4, 6, 9) },
  { weight: 1, arbitrary: fc.constantFrom(64, 65, 4100) },
);

const signalChoice: fc.Arbitrary<SignalChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<SignalChoice>('none') },
  { weight: 3, arbitrary: fc.constant<SignalChoice>('new') },
  { weight: 2, arbitrary: index },
);

/** How often each kind of step is drawn, relative to the others. */
export type StepWeights = Readonly<Record<Step['op'], number>>;

/** A mix that reaches every state: loads settle about as often as they start. */
export const DEFAULT_WEIGHTS: StepWeights = {
  get: 60,
  abort: 8,
  peek: 2,
  invalidate: 8,
  clear: 2,
  advance: 20,
  write: 4,
  resolve: 34,
  reject: 16,
  tick: 12,
  flush: 24,
  size: 4,
  // About one run in five is disposed part-way; the ending disposes others.
  dispose: 1,
  reenter: 3,
};

/** The steps that let time pass and loads fail more often: for the stale windows. */
export const TIME_WEIGHTS: StepWeights = {
  ...DEFAULT_WEIGHTS,
  advance: 36,
  invalidate: 4,
  clear: 1,
  reject: 24,
};

function stepArbitrary(shape: ScenarioShape): fc.Arbitrary<Step> {
  const { weights, reentrantActions } = shape;
  const notFound = Math.round(shape.notFoundShare * 12);
  const arbitraries: { readonly [Op in Step['op']]: fc.Arbitrary<Extract<Step, { op: Op }>> } = {
    get: fc.record({ op: fc.constant('get'), key, signal: signalChoice }),
    abort: fc.record({ op: fc.constant('abort'), controller: index }),
    peek: fc.record({ op: fc.constant('peek'), key }),
    invalidate: fc.record({ op: fc.constant('invalidate'), key }),
    clear: fc.record({ op: fc.constant('clear') }),
    advance: fc.record({ op: fc.constant('advance'), quanta }),
    write: fc.record({ op: fc.constant('write'), key }),
    resolve: fc.record({ op: fc.constant('resolve'), load: index }),
    reject: fc.record({
      op: fc.constant('reject'),
      load: index,
      error: fc.oneof(
        { weight: 12 - notFound, arbitrary: fc.constant('backend' as const) },
        { weight: notFound, arbitrary: fc.constant('notFound' as const) },
      ),
    }),
    tick: fc.record({ op: fc.constant('tick') }),
    flush: fc.record({ op: fc.constant('flush') }),
    size: fc.record({ op: fc.constant('size') }),
    dispose: fc.record({ op: fc.constant('dispose') }),
    reenter: fc.record({
      op: fc.constant('reenter'),
      action: fc.constantFrom(
        ...(reentrantActions.length > 0 ? reentrantActions : ['get' as const]),
      ),
      from: fc.constantFrom<ReentryPoint>('load', 'ttl', 'fail-safe'),
    }),
  };
  const ops = Object.keys(arbitraries) as Step['op'][];
  return fc.oneof(
    ...ops
      .filter((op) => weights[op] > 0 && (op !== 'reenter' || reentrantActions.length > 0))
      .map((op) => ({ weight: weights[op], arbitrary: arbitraries[op] as fc.Arbitrary<Step> })),
  );
}

/** How a preset shapes its scenarios. */
export interface ScenarioShape {
  readonly maxSteps: number;
  /** The fewest and most keys in play. */
  readonly keys: readonly [number, number];
  readonly weights: StepWeights;
  /** The share of rejections that are `NotFound` rather than `Backend` errors. */
  readonly notFoundShare: number;
  /**
   * What a re-entrant source may do from inside `load` (none: no `reenter`
   * steps). Narrow it to quarantine a call that hits an open bug, while that
   * bug's failing `counterexample-*.test.ts` stands for it.
   */
  readonly reentrantActions: readonly ReentrantAction[];
}

/** Every re-entrant call a source can make. */
export const REENTRANT_ACTIONS: readonly ReentrantAction[] = [
  'get',
  'invalidate',
  'clear',
  'dispose',
];

/** Scenarios of `shape`. */
export function scenarioArbitrary(shape: ScenarioShape): fc.Arbitrary<Scenario> {
  return fc.record({
    keyCount: fc.integer({ min: shape.keys[0], max: shape.keys[1] }),
    steps: fc.array(stepArbitrary(shape), {
      minLength: 1,
      maxLength: shape.maxSteps,
      size: 'max',
    }),
    ending: fc.constantFrom<Ending>('settle', 'settle', 'dispose-then-settle', 'dispose-and-hang'),
    finalOutcomes: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  });
}
