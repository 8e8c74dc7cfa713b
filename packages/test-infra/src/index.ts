export { ChildInstance, type ChildInstanceOptions, type ChildMessage } from './child-instance.js';
export { FaultProxy, type FaultProxyOptions, type FaultProxyTarget } from './fault-proxy.js';
export { type SettledWithin, settledWithin, waitUntil, withDeadline } from './polling.js';
export {
  APP_ROLE,
  APP_URL,
  createAppPool,
  createPool,
  dropSchema,
  freshSchema,
  grantAppRole,
  PG_URL,
  postgresAvailable,
} from './postgres-test-bed.js';
export {
  freshRedisDatabase,
  REDIS_URL,
  RedisTestBed,
  redisAvailable,
  redisUrlOf,
} from './redis-test-bed.js';
export { TestGateway, type TestGatewayOptions, type TestGatewayPayload } from './test-gateway.js';
