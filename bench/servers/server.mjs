// A benchmark server child: builds one implementation (spec in BENCH_SPEC), listens on 127.0.0.1:0 and answers the
// orchestrator's IPC commands (CPU and memory samples, token minting, profiling) outside the timed path.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const spec = JSON.parse(process.env.BENCH_SPEC);
const impl = await import(`./${spec.impl}.mjs`);
const app = await impl.create(spec);

const server = http.createServer(app.requestListener);
server.keepAliveTimeout = 30_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

let session;
const commands = {
  cpu: () => process.cpuUsage(),
  mem: () => process.memoryUsage(),
  gc: () => (globalThis.gc ? (globalThis.gc(), true) : false),
  mintRefresh: (n) => app.mintRefresh(n),
  mintAccess: () => app.mintAccess(),
  signCost: (n) => app.signCostUs?.(n),
  async profileStart() {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    return true;
  },
  async profileStop(path) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
    return true;
  },
  async stop() {
    server.closeAllConnections();
    server.close();
    await app.close?.();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async ({ id, cmd, arg }) => {
  try {
    const result = await commands[cmd](arg);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.stack : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: server.address().port, workloads: app.workloads, format: app.format, notes: app.notes });
