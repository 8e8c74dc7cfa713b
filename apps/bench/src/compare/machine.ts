import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, loadavg, platform } from 'node:os';
import { PEER_IDS, PEERS, type PeerId } from './peers/catalog.js';

/** The machine a run happened on, as the report prints it. */
export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cores: number;
  /** 1, 5 and 15-minute load averages when the run started: a busy machine shows here. */
  readonly loadAverage: readonly number[];
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    platform: `${platform()}/${arch()}`,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** The machine line of the report. */
export function formatMachine(machine: MachineInfo): string {
  return (
    `Node ${machine.node}, ${machine.platform}, ${machine.cores} × ${machine.cpuModel} ` +
    `(load average at start ${machine.loadAverage.join(' / ')})`
  );
}

/**
 * The version of each peer measured, read from the bench app's package.json,
 * where the peers are pinned; `workspace` for `@aa/cache`, `—` for the `Map`.
 */
export async function peerVersions(): Promise<Record<PeerId, string>> {
  const manifest: unknown = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  const dependencies =
    typeof manifest === 'object' && manifest !== null && 'dependencies' in manifest
      ? (manifest.dependencies as Record<string, string>)
      : {};
  const versions = {} as Record<PeerId, string>;
  for (const id of PEER_IDS) {
    const declared = dependencies[PEERS[id].packageName];
    versions[id] =
      id === 'map'
        ? '—'
        : declared === undefined || declared.startsWith('workspace')
          ? 'workspace'
          : declared;
  }
  return versions;
}
