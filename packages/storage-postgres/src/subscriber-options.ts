import { describeValue } from '@aa/core';
import {
  type ResolvedSubscriberOptions,
  resolveSubscriberOptions,
  type SubscriberOptions,
} from '@aa/invalidation';
import type { ClientConfig } from 'pg';
import { checkChannelName, policyChannel } from './policy-channel.js';
import { checkSchemaName, DEFAULT_SCHEMA } from './schema-name.js';

/**
 * Settings of a {@link PgInvalidationSubscriber}: the options every
 * invalidation subscriber takes (`sink`, `connectTimeoutMs`,
 * `heartbeatIntervalMs`, backoff, `onError`, `scheduler`, …; see
 * `@aa/invalidation`), and where to listen.
 *
 * `heartbeatIntervalMs` is how often an idle connection runs `SELECT 1`: a
 * LISTEN connection only reads, so without it a connection silently cut by the
 * network (no RST: a NAT timeout, a failed-over host) would go unnoticed, and
 * every invalidation with it.
 */
export interface PgInvalidationSubscriberOptions extends SubscriberOptions {
  /**
   * Where to connect: a connection URL or a `pg.ClientConfig`. The subscriber
   * opens its own dedicated `pg.Client` from it (a LISTEN holds a session, so it
   * cannot borrow a pooled connection), and a new one on every reconnect.
   * `connectionTimeoutMillis` is replaced by `connectTimeoutMs`, and TCP
   * keep-alive is switched on.
   */
  readonly connection: string | ClientConfig;
  /**
   * The schema whose default channel to listen on, as given to the
   * {@link PgPolicyStore}. Ignored when `channel` is set.
   *
   * @default 'public'
   */
  readonly schema?: string | undefined;
  /**
   * The channel to LISTEN on; must be the store's.
   *
   * @default policyChannel(schema), `'aa_policies.<schema>'`
   */
  readonly channel?: string | undefined;
}

/** {@link PgInvalidationSubscriberOptions} checked, with defaults applied. */
export interface ResolvedPgSubscriberOptions {
  /** The options every subscriber takes. */
  readonly common: ResolvedSubscriberOptions;
  readonly clientConfig: ClientConfig;
  readonly channel: string;
}

const PG_OPTION_NAMES = [
  'connection',
  'schema',
  'channel',
] as const satisfies readonly (keyof PgInvalidationSubscriberOptions)[];

/**
 * Checks `input` once, at construction, and fills in the defaults.
 * @throws {TypeError} "Expected `option` to be …, got …", or an unknown option.
 */
export function resolvePgSubscriberOptions(input: unknown): ResolvedPgSubscriberOptions {
  const { options, resolved } = resolveSubscriberOptions<PgInvalidationSubscriberOptions>(input, [
    ...PG_OPTION_NAMES,
  ]);
  const { connection } = options;
  let base: ClientConfig;
  if (typeof connection === 'string' && connection !== '') base = { connectionString: connection };
  else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    base = connection;
  } else {
    throw new TypeError(
      `Expected \`connection\` to be a connection URL or a pg.ClientConfig, got ${describeValue(connection)}`,
    );
  }
  const channel =
    options.channel === undefined
      ? policyChannel(
          checkSchemaName(options.schema === undefined ? DEFAULT_SCHEMA : options.schema),
        )
      : checkChannelName(options.channel);
  return Object.freeze({
    common: resolved,
    clientConfig: {
      application_name: 'aa-invalidation-subscriber',
      ...base,
      connectionTimeoutMillis: resolved.connectTimeoutMs,
      keepAlive: true,
    },
    channel,
  });
}
