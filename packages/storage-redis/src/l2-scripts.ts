import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run with EVALSHA, sent again with EVAL when the server has not seen it. */
export interface L2Script {
  readonly source: string;
  readonly sha: string;
  readonly keys: number;
}

function script(keys: number, source: string): L2Script {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex'), keys });
}

/**
 * KEYS: value, agent generation, global generation → `{ value, agent
 * generation, global generation }`, read together: the generations a miss
 * returns are those a later fill must still find.
 */
export const READ = script(
  3,
  `return { redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]) }`,
);

/**
 * KEYS: value, agent generation, global generation, agent tenants; ARGV:
 * expected agent generation, expected global generation ('' for none), the
 * document, TTL in seconds, '1' for a tenant key. Stores the document only if
 * neither generation moved since the read that found the miss, so a fill
 * carrying a document read before an invalidation never lands. Returns 1 when
 * stored, 0 when refused.
 */
export const FILL = script(
  4,
  `if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
if (redis.call('GET', KEYS[3]) or '') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[4], KEYS[1])
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
return 1`,
);

/**
 * KEYS: the agent's system value, agent generation, agent tenants; ARGV: the
 * generation's TTL in seconds. Deletes the agent's value under every tenant and
 * advances its generation, in one step. Returns how many values were held.
 */
export const INVALIDATE = script(
  3,
  `local held = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  held = held + redis.call('DEL', key)
end
held = held + redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[3])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return held`,
);

/** Runs `script` by its SHA, loading it on the server's first NOSCRIPT. */
export async function runScript(
  client: Redis,
  script: L2Script,
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, script.keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(script.source, script.keys, ...args);
  }
}
