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
 * KEYS: value, agent generation, global generation; ARGV: a fresh random
 * token, the agent generation's TTL in seconds → `{ value or false, agent
 * generation, global generation, '1' when the value is not a string }`.
 * A missing generation is created with the token first, so a generation a
 * read returns is always a stored random value: one that later vanishes (a
 * Redis restarted without persistence, an eviction, an expiry) never matches
 * again, where "absent" would have matched "absent".
 */
export const READ = script(
  3,
  `redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2])
redis.call('SET', KEYS[3], ARGV[1], 'NX')
local ok, value = pcall(redis.call, 'GET', KEYS[1])
local wrongType = '0'
if not ok then
  value = false
  wrongType = '1'
end
return { value, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]), wrongType }`,
);

/**
 * KEYS: value, agent generation, global generation, agent tenants; ARGV:
 * expected agent generation, expected global generation, the document, TTL
 * in seconds, '1' for a tenant key. Stores the document only if both
 * generations are still exactly those the read returned (a missing one never
 * matches), so a fill carrying a document read before an invalidation never
 * lands. The tenant set's expiry is only ever lengthened: instances with a
 * shorter TTL must not make it forget a longer-lived member. Returns 1 when
 * stored, 0 when refused.
 */
export const FILL = script(
  4,
  `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[4], KEYS[1])
  if redis.call('TTL', KEYS[4]) < tonumber(ARGV[4]) then
    redis.call('EXPIRE', KEYS[4], ARGV[4])
  end
end
return 1`,
);

/**
 * KEYS: the agent's system value, agent generation, agent tenants; ARGV: a
 * fresh random token, the generation's TTL in seconds. Replaces the agent's
 * generation first (so nothing below can leave it unmoved), then deletes the
 * agent's value under every tenant, in one step. Returns how many values were
 * held.
 */
export const INVALIDATE = script(
  3,
  `redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
local held = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  held = held + redis.call('DEL', key)
end
held = held + redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[3])
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
