import type { AgentId } from '@aa/core';
import type { RedisInvalidationPublisher } from '@aa/invalidation-redis';
import type { PgPolicyStore } from '@aa/storage-postgres';
import type { TestGateway } from '@aa/test-infra';
import { samplePolicy } from '@aa/testing';
import type { ListenerProcess } from './listener-process.js';
import { type FromListener, type Transport, wallClock } from './protocol.js';

/** Unmeasured rounds first: connections, pools and JIT settle. */
export const WARMUP_ROUNDS = 10;

/** What one transport's run measured. */
export interface TransportRun {
  readonly transport: Transport;
  /** Measured rounds (warm-up excluded). */
  readonly rounds: number;
  /** Per arrived invalidation: ms from the commit being acknowledged to the writer. */
  readonly afterCommitMs: readonly number[];
  /** Per arrived invalidation: ms from the start of the write. */
  readonly afterWriteStartMs: readonly number[];
  /** Rounds, warm-up included, whose invalidation never arrived within the timeout. */
  readonly lost: number;
  /** Invalidations that found no entry to drop (the agent had been primed, so: 0). */
  readonly emptyInvalidations: number;
  /** Agents whose next get afterwards served an older version than the last one written. */
  readonly stale: number;
  /** Whatever the listener reported going wrong. */
  readonly problems: readonly string[];
}

/** What {@link runTransport} needs. */
export interface TransportSetup {
  readonly transport: Transport;
  readonly listener: ListenerProcess;
  readonly store: PgPolicyStore;
  /** For `redis`: announces each change after its commit. */
  readonly publisher: RedisInvalidationPublisher;
  /** For `gateway`: the gateway the listener subscribes to, which sends each change after its commit. */
  readonly gateway: TestGateway;
  readonly agents: readonly AgentId[];
  readonly rounds: number;
  readonly timeoutMs: number;
}

const isPrimed = (message: FromListener) => message.type === 'primed';
const isGot = (message: FromListener) => message.type === 'got';

/**
 * Runs warm-up plus `rounds` rounds, one change each, cycling through `agents`.
 * A round: the listener loads the agent into its cache; the writer commits a
 * new version (`putPolicy`, which also NOTIFYs), and for Redis publishes it,
 * for the gateway sends it;
 * the round ends when the listener reports the invalidation applied, or after
 * `timeoutMs`. Finally the listener reads every agent once more, and each must
 * be at the last version written (the document's `version`).
 */
export async function runTransport(setup: TransportSetup): Promise<TransportRun> {
  const { transport, listener, store, publisher, gateway, agents, rounds, timeoutMs } = setup;
  const afterCommitMs: number[] = [];
  const afterWriteStartMs: number[] = [];
  const latest = new Map<AgentId, number>();
  let lost = 0;
  let emptyInvalidations = 0;

  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    const id = agents[round % agents.length] as AgentId;
    listener.send({ type: 'prime', id });
    if ((await listener.next(isPrimed, timeoutMs)) === undefined) {
      throw new Error(`the ${transport} listener did not load agent ${id} within ${timeoutMs} ms`);
    }
    const started = wallClock();
    // Each write's document carries its own version: the listener reads the
    // document's, not the row's policy_version, so this is what it must see.
    const version = round + 1;
    await store.putPolicy(id, samplePolicy(version));
    latest.set(id, version);
    const committed = wallClock();
    if (transport === 'redis') await publisher.publish(id);
    // The gateway runs in this process: the event is sent now, right after the commit.
    if (transport === 'gateway') gateway.invalidate(id);
    const applied = await listener.next(
      (message): message is Extract<FromListener, { type: 'invalidated' }> =>
        message.type === 'invalidated' && message.id === id,
      timeoutMs,
    );
    if (applied === undefined) {
      lost++;
      continue;
    }
    if (!applied.hadEntry) emptyInvalidations++;
    if (round >= WARMUP_ROUNDS) {
      afterCommitMs.push(applied.at - committed);
      afterWriteStartMs.push(applied.at - started);
    }
  }

  let stale = 0;
  for (const [id, version] of latest) {
    listener.send({ type: 'get', id });
    const got = await listener.next(isGot, timeoutMs);
    if (got === undefined || got.version !== version) stale++;
  }
  return {
    transport,
    rounds,
    afterCommitMs,
    afterWriteStartMs,
    lost,
    emptyInvalidations,
    stale,
    problems: listener.problems,
  };
}
