export { GATEWAY_CLEAR_CAUSES, type GatewayClearCause } from './clear-causes.js';
export { GATEWAY_ERROR_CODES, GatewayError, type GatewayErrorCode } from './gateway-error.js';
export { GatewayInvalidationSubscriber } from './gateway-invalidation-subscriber.js';
export type {
  GatewayApproval,
  GatewayInvalidationOptions,
  GatewayTlsOptions,
} from './gateway-options.js';
