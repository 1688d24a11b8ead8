// Opens the deployment's storage, migrates it and prints the report as JSON: for tests of concurrent migrations.
import { configFromEnv, openDeploymentStorage } from './deployment.js';

const storage = openDeploymentStorage(configFromEnv());
try {
  process.stdout.write(JSON.stringify(await storage.migrate()) + '\n');
} finally {
  await storage.close();
}
