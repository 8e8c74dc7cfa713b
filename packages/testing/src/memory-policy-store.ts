import {
  type AgentId,
  type CacheSource,
  describeValue,
  type LoadOptions,
  type OrgId,
  type PolicyDocument,
  STORAGE_ERROR_CODES,
  StorageError,
  type StorageErrorKind,
  SYSTEM_ORG_ID,
  TenantAgentKey,
  type TenantPolicySource,
  type TenantPolicyStore,
  tenantPolicySource,
} from '@aa/core';

/** Which tenant a {@link MemoryPolicyStore} call is about. */
export interface MemoryTenantOptions {
  /**
   * The tenant; a policy stored under one tenant is invisible to every other.
   * @default SYSTEM_ORG_ID
   */
  readonly orgId?: OrgId | undefined;
}

/** A run of injected failures still to be handed out by {@link MemoryPolicyStore.failNext}. */
interface FaultRun {
  readonly kind: StorageErrorKind;
  remaining: number;
}

/**
 * An in-memory {@link TenantPolicyStore} for tests: it counts every load, can answer
 * slowly ({@link MemoryPolicyStore.withDelay}), hang on demand
 * ({@link MemoryPolicyStore.holdLoads}) and fail on demand
 * ({@link MemoryPolicyStore.failNext}). It is also a
 * `CacheSource<AgentId, PolicyDocument>`, so a cache can front it directly.
 *
 * Tenants, as upstream's Postgres store has them: every policy belongs to one
 * org (the reserved system org unless an `orgId` is given), a read under one
 * org never sees another's, `getPolicy` reads the system org's, and
 * {@link MemoryPolicyStore.tenantSource} serves one `L1Cache` keyed by
 * `TenantAgentKey`. A non-canonical id is a `TypeError` (as a rejection).
 *
 * A load reads the store's contents at the moment it answers, after any delay
 * or hold, not when it was called: an {@link MemoryPolicyStore.insert} made
 * while a load is delayed or held is what that load resolves to. This is how a
 * real backend behaves (the read happens when the query runs), and it is what
 * lets a test change the source of truth under an in-flight load.
 *
 * @example
 * const store = MemoryPolicyStore.withPolicy(id, samplePolicy(1)).withDelay(5);
 * const cache = new L1Cache(store, { ttlMs: 60_000 });
 * await Promise.all([cache.get(id), cache.get(id)]);
 * expect(store.callCountFor(id)).toBe(1);
 */
export class MemoryPolicyStore implements TenantPolicyStore, CacheSource<AgentId, PolicyDocument> {
  readonly #policies = new Map<TenantAgentKey, PolicyDocument>();
  readonly #callCounts = new Map<TenantAgentKey, number>();
  #callCount = 0;
  #invalidationCount = 0;
  #delayMs = 0;
  #holding = false;
  readonly #heldWakers = new Set<() => void>();
  #pendingCount = 0;
  readonly #faults: FaultRun[] = [];

  /**
   * A store holding only `policy` for agent `id`.
   *
   * @example
   * const store = MemoryPolicyStore.withPolicy(id, samplePolicy(1));
   */
  static withPolicy(id: AgentId, policy: PolicyDocument): MemoryPolicyStore {
    return new MemoryPolicyStore().insert(id, policy);
  }

  /**
   * Stores `policy` for agent `id` under a tenant, replacing any earlier one.
   * Loads resolve to this very object (no copy), so a test can assert identity
   * with `toBe`. Seen by loads already delayed or held, since they read when
   * they answer.
   * @throws {InvalidIdError} when `id` or `orgId` is not a canonical id.
   * @returns this store, for chaining.
   */
  insert(id: AgentId, policy: PolicyDocument, options: MemoryTenantOptions = {}): this {
    this.#policies.set(TenantAgentKey.of(options.orgId ?? SYSTEM_ORG_ID, id), policy);
    return this;
  }

  /**
   * Deletes agent `id`'s policy under a tenant; later loads (and delayed or
   * held ones) reject with `NotFound`.
   * @throws {InvalidIdError} when `id` or `orgId` is not a canonical id.
   * @returns whether the agent had a policy there.
   */
  remove(id: AgentId, options: MemoryTenantOptions = {}): boolean {
    return this.#policies.delete(TenantAgentKey.of(options.orgId ?? SYSTEM_ORG_ID, id));
  }

  /**
   * Makes every load started from now on wait `ms` milliseconds, on a real
   * `setTimeout`, before it answers, as a slow backend would. Fake timers
   * (`vi.useFakeTimers()`) control it. An abort of the load's signal rejects it
   * at once and clears its timer. Loads already waiting keep their delay.
   *
   * @param ms - the delay; `0` answers without a timer.
   * @default 0
   * @throws {TypeError} when `ms` is not a finite number >= 0.
   * @returns this store, for chaining.
   */
  withDelay(ms: number): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a finite number >= 0, got ${describeValue(ms)}`);
    }
    this.#delayMs = ms;
    return this;
  }

  /**
   * Makes the next `count` loads reject with a `StorageError` of `kind` whose
   * detail says the failure was injected; later loads behave normally again.
   * Calls queue up: `failNext(1, 'Conflict')` then `failNext(2)` fails one load
   * with `Conflict`, then two with `Backend`.
   *
   * A fault is claimed by a load when it is called, in call order, and delivered
   * when that load answers (after any delay or hold), like a backend that times
   * out. A load that is aborted while it waits has still used up its fault. A
   * fault wins over the stored contents: an unknown agent gets the injected kind,
   * not `NotFound`. Already-aborted loads claim no fault.
   *
   * @param count - how many loads fail: an integer >= 0.
   * @param kind - the kind of error they fail with.
   * @default kind 'Backend'
   * @throws {TypeError} when `count` is not an integer >= 0 or `kind` is not a
   *   storage error kind.
   * @returns this store, for chaining.
   *
   * @example
   * store.failNext(2);
   * await expect(store.load(id)).rejects.toMatchObject({ kind: 'Backend' });
   */
  failNext(count: number, kind: StorageErrorKind = 'Backend'): this {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new TypeError(`Expected \`count\` to be an integer >= 0, got ${describeValue(count)}`);
    }
    if (typeof kind !== 'string' || !Object.hasOwn(STORAGE_ERROR_CODES, kind)) {
      const kinds = Object.keys(STORAGE_ERROR_CODES).join(', ');
      throw new TypeError(`Expected \`kind\` to be one of ${kinds}, got ${describeValue(kind)}`);
    }
    if (count > 0) this.#faults.push({ kind, remaining: count });
    return this;
  }

  /**
   * From now on, loads hang just before they answer until
   * {@link MemoryPolicyStore.releaseLoads}: the way to hold a load in flight
   * while a test does something else. A held load still honours its abort
   * signal. A load that is delayed when this is called is held once its delay
   * ends.
   * @returns this store, for chaining.
   */
  holdLoads(): this {
    this.#holding = true;
    return this;
  }

  /**
   * Lets every held load proceed (each reads the store's contents as it
   * answers) and stops holding new ones. Held loads answer in the order they
   * were held, on the microtask queue: `await` something before asserting.
   */
  releaseLoads(): void {
    this.#holding = false;
    const wakers = [...this.#heldWakers];
    this.#heldWakers.clear();
    for (const wake of wakers) wake();
  }

  /**
   * Loads `key`'s policy: identical to {@link MemoryPolicyStore.getPolicy}, and
   * counted the same way. See {@link MemoryPolicyStore.getPolicy} for the order
   * of effects.
   */
  load(key: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    return this.getPolicy(key, options);
  }

  /**
   * Loads agent `id`'s policy under the system org:
   * {@link MemoryPolicyStore.getPolicyForTenant} with {@link SYSTEM_ORG_ID}.
   */
  getPolicy(id: AgentId, options?: LoadOptions): Promise<PolicyDocument> {
    return this.getPolicyForTenant(SYSTEM_ORG_ID, id, options);
  }

  /**
   * A new `CacheSource<TenantAgentKey, PolicyDocument>` over
   * {@link MemoryPolicyStore.getPolicyForTenant}, with the set of tenants it
   * has loaded for; see `tenantPolicySource` in `@aa/core`.
   */
  tenantSource(): TenantPolicySource {
    return tenantPolicySource(this);
  }

  /**
   * Loads agent `agentId`'s policy under tenant `orgId`. In order: the ids are
   * checked (a non-canonical one rejects with an `InvalidIdError`, uncounted);
   * the call is counted (whatever happens next); an already-aborted signal
   * rejects with `signal.reason`; an injected fault is claimed; the load waits
   * out any delay, then any hold (an abort during either rejects at once with
   * `signal.reason`); then it answers from the store's current contents,
   * rejecting with `NotFound` when that tenant has no policy for the agent.
   * Never throws synchronously: every failure is a rejected promise.
   */
  async getPolicyForTenant(
    orgId: OrgId,
    agentId: AgentId,
    options?: LoadOptions,
  ): Promise<PolicyDocument> {
    const key = TenantAgentKey.of(orgId, agentId);
    this.#callCount++;
    this.#callCounts.set(key, (this.#callCounts.get(key) ?? 0) + 1);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const fault = this.#claimFault();

    if (this.#delayMs > 0) await this.#wait(signal, this.#startDelay(this.#delayMs));
    if (this.#holding) await this.#wait(signal, this.#startHold());
    // An abort can land between a timer firing and this continuation running.
    signal?.throwIfAborted();

    if (fault !== undefined) {
      throw new StorageError(
        fault,
        `injected by MemoryPolicyStore.failNext() (agent ${agentId} in org ${orgId})`,
      );
    }
    const policy = this.#policies.get(key);
    if (policy === undefined) {
      throw StorageError.notFound(`no policy for agent ${agentId} in org ${orgId}`);
    }
    return policy;
  }

  /**
   * Succeeds for any id, present or absent, and changes nothing: the memory
   * store is the source of truth and caches nothing of its own. Counted by
   * {@link MemoryPolicyStore.invalidationCount}.
   */
  async invalidate(_id: AgentId): Promise<void> {
    this.#invalidationCount++;
  }

  /** How many loads were started since construction or {@link MemoryPolicyStore.resetCounts}, failed ones included. */
  callCount(): number {
    return this.#callCount;
  }

  /**
   * How many loads of agent `id` under a tenant (the system org by default)
   * were started, failed ones included; `0` if none.
   */
  callCountFor(id: AgentId, options: MemoryTenantOptions = {}): number {
    return this.#callCounts.get(TenantAgentKey.of(options.orgId ?? SYSTEM_ORG_ID, id)) ?? 0;
  }

  /** How many times {@link MemoryPolicyStore.invalidate} was called, for any id. */
  invalidationCount(): number {
    return this.#invalidationCount;
  }

  /** How many loads are waiting right now, on a delay or a hold. Aborted loads stop counting. */
  pendingCount(): number {
    return this.#pendingCount;
  }

  /**
   * Sets every counter back to zero. Policies, the delay, the hold and queued
   * faults stay as they are.
   */
  resetCounts(): void {
    this.#callCount = 0;
    this.#callCounts.clear();
    this.#invalidationCount = 0;
  }

  #claimFault(): StorageErrorKind | undefined {
    const run = this.#faults[0];
    if (run === undefined) return undefined;
    run.remaining--;
    if (run.remaining === 0) this.#faults.shift();
    return run.kind;
  }

  #startDelay(ms: number): (wake: () => void) => () => void {
    return (wake) => {
      // Not unref()'d, unlike the house rule for timers: a delayed load stands in
      // for a backend query, whose socket keeps the process alive until it answers.
      const timer = setTimeout(wake, ms);
      return () => clearTimeout(timer);
    };
  }

  #startHold(): (wake: () => void) => () => void {
    return (wake) => {
      this.#heldWakers.add(wake);
      return () => this.#heldWakers.delete(wake);
    };
  }

  /**
   * Waits until `start`'s wake callback is called, counting the load as pending
   * meanwhile. An abort of `signal` cancels the wait through the function
   * `start` returned and rejects with `signal.reason`.
   */
  #wait(signal: AbortSignal | undefined, start: (wake: () => void) => () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.#pendingCount++;
      const onAbort = () => {
        cancel();
        this.#pendingCount--;
        reject(signal?.reason);
      };
      const cancel = start(() => {
        signal?.removeEventListener('abort', onAbort);
        this.#pendingCount--;
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
