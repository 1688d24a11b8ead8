// A grantry token endpoint on the storage named by GRANTRY_TEST_DEPLOYMENT, for tests that need separate OS
// processes. Prints "LISTENING <port>" once it serves on 127.0.0.1.
import http from 'node:http';
import { tokenEndpointListener } from '../../../src/http/node.js';
import { buildServer, configFromEnv, openDeploymentStorage } from './deployment.js';

const config = configFromEnv();
const storage = openDeploymentStorage(config);
await storage.migrate();
const server = buildServer(storage, config);
await server.context();
const listener = http.createServer(tokenEndpointListener(server));
listener.keepAliveTimeout = 1000;
listener.listen(0, '127.0.0.1', () => {
  const address = listener.address();
  if (address && typeof address === 'object') process.stdout.write(`LISTENING ${address.port}\n`);
});
process.on('SIGTERM', () => {
  listener.close();
  listener.closeAllConnections();
  void storage.close().finally(() => process.exit(0));
});
