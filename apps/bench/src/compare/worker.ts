/**
 * The worker entry: runs one case of one workload against one peer in this
 * fresh process and prints the result line. Usage (the parent does this):
 * `node --expose-gc worker.js '<WorkerRequest as JSON>'`.
 */
import { loadPeer } from './peers/catalog.js';
import { encodeResult, type WorkerRequest } from './worker-protocol.js';
import { runCase } from './workloads/run-case.js';

const [requestJson] = process.argv.slice(2);
if (requestJson === undefined) {
  console.error('Expected one argument: the worker request as JSON');
  process.exit(2);
}
// The parent wrote it from a typed value: trusted, not user input.
const request = JSON.parse(requestJson) as WorkerRequest;
const create = await loadPeer(request.peer);
const metrics = await runCase(create, request.params);
const { user, system } = process.cpuUsage();
// The worker's whole CPU time, startup included: what a run costs, for the JSON.
const workerCpuMs = (user + system) / 1000;
// Exit as soon as the line is out: a peer may keep a handle open, and the
// next worker should not wait for it.
process.stdout.write(encodeResult({ ...metrics, workerCpuMs }), () => process.exit(0));
