import { PEERS, type PeerId } from './peers/catalog.js';
import type { CaseResult, PeerResult } from './results.js';
import type { CompareSettings } from './settings.js';
import type { WorkerLauncher } from './worker-launcher.js';
import type { WorkloadDefinition } from './workloads/catalog.js';

/** One worker process to start. */
interface Task {
  readonly caseIndex: number;
  readonly rep: number;
  readonly peer: PeerId;
}

/** Told one line per finished worker: what it ran and how long it took, or why it failed. */
export type Progress = (line: string) => void;

/**
 * Runs every case of `workload` for the `peers` it applies to: repetition by
 * repetition, every peer once per repetition (rotating which goes first), each
 * in its own fresh process, `settings.timedJobs` or `settings.untimedJobs`
 * at a time.
 */
export async function runWorkload(
  workload: WorkloadDefinition,
  settings: CompareSettings,
  peerIds: readonly PeerId[],
  launcher: WorkerLauncher,
  progress: Progress,
): Promise<CaseResult[]> {
  const peers = peerIds.map((id) => PEERS[id]).filter((peer) => workload.appliesTo(peer));
  const cases = workload.cases(settings);
  const reps = workload.reps(settings);
  const results: PeerResult[][] = cases.map(() =>
    peers.map((peer) => ({ peer: peer.id, reps: new Array(reps).fill(undefined), errors: [] })),
  );

  const tasks: Task[] = [];
  for (const caseIndex of cases.keys()) {
    for (let rep = 0; rep < reps; rep++) {
      for (let slot = 0; slot < peers.length; slot++) {
        const peer = peers[(slot + rep) % peers.length];
        if (peer !== undefined) tasks.push({ caseIndex, rep, peer: peer.id });
      }
    }
  }

  let done = 0;
  const runTask = async ({ caseIndex, rep, peer }: Task) => {
    const base = cases[caseIndex];
    const result = results[caseIndex]?.find((candidate) => candidate.peer === peer);
    if (base === undefined || result === undefined) return;
    const params = workload.forPeer?.(base, PEERS[peer]) ?? base;
    const label = workload.caseLabel?.(base) ?? '';
    const started = performance.now();
    let outcome: string;
    try {
      result.reps[rep] = await launcher.run({ peer, params }, settings.workerTimeoutMs);
      outcome = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result.errors.push(message);
      outcome = `FAILED: ${message.split('\n')[0]}`;
    }
    done++;
    const where = [workload.id, label, peer, `rep ${rep + 1}/${reps}`].filter(Boolean).join(' · ');
    progress(`[${done}/${tasks.length}] ${where}: ${outcome}`);
  };
  await runAll(tasks, workload.timed ? settings.timedJobs : settings.untimedJobs, runTask);

  return cases.map((params, caseIndex) => ({
    label: workload.caseLabel?.(params) ?? '',
    params,
    peers: results[caseIndex] ?? [],
    references: workload.references?.(params) ?? [],
  }));
}

/** Runs `run` over `items`, at most `limit` at a time, in order of start. */
async function runAll<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
}
