export { ManualClock } from './manual-clock.js';
export { ManualScheduler, type ManualTimer } from './manual-scheduler.js';
export { MemoryPolicyStore, type MemoryTenantOptions } from './memory-policy-store.js';
export { RecordingSink, type SinkCall } from './recording-sink.js';
export { samplePolicy } from './sample-policy.js';
export { requireService, type ServiceGateOptions } from './service-gate.js';
