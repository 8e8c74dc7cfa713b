import type {
  ConnectContext,
  InvalidationError,
  InvalidationTransport,
  TransportConnection,
} from '@aa/invalidation';
import { GatewayConnection } from './gateway-connection.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';

/** The gateway's `InvalidationService/Subscribe` stream as an invalidation transport. */
export class GatewayTransport implements InvalidationTransport<number> {
  readonly name = 'gateway';
  readonly target: string;
  readonly #options: ResolvedGatewayOptions;
  readonly #report: (error: InvalidationError) => void;

  constructor(options: ResolvedGatewayOptions, report: (error: InvalidationError) => void) {
    this.#options = options;
    this.#report = report;
    this.target = `${options.url.origin} (assembly ${options.assemblyId})`;
  }

  async connect(context: ConnectContext<number>): Promise<TransportConnection<number>> {
    const connection = new GatewayConnection(this.#options, context, this.#report);
    try {
      await connection.opened();
      return connection;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }
}
