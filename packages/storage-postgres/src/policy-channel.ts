import { describeValue } from '@aa/core';

// NAMEDATALEN - 1: a longer channel name is an error in pg_notify and LISTEN.
const MAX_CHANNEL_BYTES = 63;

/**
 * The NOTIFY channel a {@link PgPolicyStore} writes to and a
 * {@link PgInvalidationSubscriber} listens on for `schema`, unless both are given
 * the same explicit `channel`: `aa_policies.<schema>`. One channel per schema,
 * so stores in different schemas of one database do not invalidate each other.
 *
 * @example
 * policyChannel('public'); // 'aa_policies.public'
 */
export function policyChannel(schema: string): string {
  return `aa_policies.${schema}`;
}

/**
 * Checks an explicit channel name: any text of 1 to 63 bytes without a NUL. It is
 * passed to `pg_notify()` as a parameter and quoted for `LISTEN`, so no other
 * character needs to be excluded.
 *
 * @throws {TypeError} "Expected `channel` to be …, got …".
 */
export function checkChannelName(channel: unknown): string {
  if (
    typeof channel !== 'string' ||
    channel.length === 0 ||
    Buffer.byteLength(channel) > MAX_CHANNEL_BYTES ||
    channel.includes('\0')
  ) {
    throw new TypeError(
      `Expected \`channel\` to be a string of 1 to ${MAX_CHANNEL_BYTES} bytes without NUL, got ${describeValue(channel)}`,
    );
  }
  return channel;
}
