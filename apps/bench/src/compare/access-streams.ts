import { SeededRandom } from '../lib/prng.js';
import { ZipfSampler } from '../lib/zipf.js';

/** Marks a one-off key in a {@link scanMixStream}: it appears nowhere else in the stream. */
export const ONE_OFF = -1;

/** The shape of a hit-ratio stream; equal settings give equal streams. */
export interface StreamSettings {
  /** Distinct keys the Zipf part draws from. */
  readonly keys: number;
  /** Zipf gets in the stream. */
  readonly gets: number;
  /** The Zipf exponent `s`. */
  readonly exponent: number;
  readonly seed: number;
}

/** `gets` Zipf-distributed ranks in `[0, keys)`, drawn from `seed`. */
export function zipfStream(settings: StreamSettings): Int32Array {
  const sampler = new ZipfSampler(settings.keys, settings.exponent);
  const random = new SeededRandom(settings.seed);
  const stream = new Int32Array(settings.gets);
  for (let index = 0; index < stream.length; index++) stream[index] = sampler.sample(random);
  return stream;
}

/**
 * The Zipf stream of {@link zipfStream} (same ranks, same order) with as many
 * {@link ONE_OFF} entries shuffled in: a scan, as an attacker sending random
 * agent ids produces. Each position is a one-off with probability
 * `one-offs left / entries left`, which gives a uniformly random interleaving
 * with exactly `gets` of each.
 */
export function scanMixStream(settings: StreamSettings): Int32Array {
  const hot = zipfStream(settings);
  const random = new SeededRandom(settings.seed ^ 0x5ca7_5ca7);
  const mixed = new Int32Array(hot.length * 2);
  let hotLeft = hot.length;
  let oneOffsLeft = hot.length;
  let next = 0;
  for (let index = 0; index < mixed.length; index++) {
    if (random.nextInt(hotLeft + oneOffsLeft) < oneOffsLeft) {
      mixed[index] = ONE_OFF;
      oneOffsLeft--;
    } else {
      mixed[index] = hot[next++] as number;
      hotLeft--;
    }
  }
  return mixed;
}
