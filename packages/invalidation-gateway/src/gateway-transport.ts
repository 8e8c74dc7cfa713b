import type { ConnectContext, InvalidationTransport, TransportConnection } from '@aa/invalidation';
import { GatewayConnection } from './gateway-connection.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';

/** The gateway's `InvalidationService/Subscribe` stream as an invalidation transport. */
export class GatewayTransport implements InvalidationTransport<number> {
  readonly name = 'gateway';
  readonly target: string;
  readonly #options: ResolvedGatewayOptions;

  constructor(options: ResolvedGatewayOptions) {
    this.#options = options;
    this.target = `${options.url.origin} (assembly ${options.assemblyId})`;
  }

  async connect(context: ConnectContext<number>): Promise<TransportConnection<number>> {
    const connection = new GatewayConnection(this.#options, context);
    try {
      await connection.opened();
      return connection;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }
}
