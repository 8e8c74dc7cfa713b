import { InvalidationSubscriber, resolveSubscriberOptions } from '@aa/invalidation';
import {
  GATEWAY_OPTION_NAMES,
  type GatewayInvalidationOptions,
  resolveGatewayOptions,
} from './gateway-options.js';
import { GatewayTransport } from './gateway-transport.js';

/**
 * Keeps sinks (`L1Cache`s) fresh from the Agent Assembly gateway's gRPC
 * invalidation stream (`assembly.gateway.v1.InvalidationService/Subscribe`),
 * and never loses an invalidation silently.
 *
 * It subscribes with `assemblyId` and the last sequence number it applied
 * ({@link lastSeq}), applies each `PolicyInvalidated` (`invalidate(agentId)`;
 * an empty `agent_id` clears), hands each `ApprovalResolved` to `onApproval`,
 * and acknowledges every event once applied. Whenever it cannot prove that it
 * missed nothing it clears its sinks, with a cause from `GATEWAY_CLEAR_CAUSES`:
 * on its first subscription, when the numbering restarts (a gateway restart)
 * or jumps (a ring overflow, a lagged channel), and after a reconnect the
 * gateway's replay does not prove lossless. A gateway gone silent is noticed
 * within `heartbeatIntervalMs + connectTimeoutMs` (HTTP/2 PINGs). The rest
 * (lifecycle, reconnect with backoff, deadlines, sinks, stats) is the core's:
 * see `InvalidationSubscriber` in `@aa/invalidation`.
 *
 * @example
 * const policies = new L1Cache(source, { ttlMs: 60_000 });
 * const subscriber = new GatewayInvalidationSubscriber({
 *   url: 'https://gateway.internal:50051',
 *   assemblyId: 'billing-7f3a',
 *   token: process.env.AA_GATEWAY_TOKEN,
 *   sink: policies,
 * });
 * await subscriber.start();
 */
export class GatewayInvalidationSubscriber extends InvalidationSubscriber<number> {
  /**
   * Checks `options` and starts connecting at once.
   * @throws {TypeError} "Expected … got …" for an unknown option or a bad value.
   */
  constructor(options: GatewayInvalidationOptions) {
    const { options: checked, resolved } = resolveSubscriberOptions<GatewayInvalidationOptions>(
      options,
      GATEWAY_OPTION_NAMES,
    );
    super(new GatewayTransport(resolveGatewayOptions(checked)), resolved);
  }

  /**
   * The sequence number of the last event applied (every event up to it has
   * reached the sinks and was acknowledged), sent as `last_seq_seen` on the
   * next subscription; `0` before the first event.
   */
  get lastSeq(): number {
    return this.position ?? 0;
  }
}
