import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../src/storage/managed-storage.js';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-migrations.js';
import { configToEnv, openDeploymentStorage, type DeploymentConfig } from './support/deployment.js';
import { dropSchema, PG_SKIP, uniqueSchema } from './support/postgres.js';
import { tempDir } from './support/temp-sqlite.js';

const SCRIPT = fileURLToPath(new URL('./support/migrate-once.ts', import.meta.url));
const run = promisify(execFile);

async function migrateInChild(config: DeploymentConfig): Promise<MigrationReport> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT], { env: { ...process.env, ...configToEnv(config) } });
  return JSON.parse(stdout) as MigrationReport;
}

const tmp = tempDir();
const schemas: string[] = [];
afterAll(async () => {
  tmp.remove();
  for (const schema of schemas) await dropSchema(schema);
});

describe.each([
  { engine: 'sqlite' as const, skip: undefined },
  { engine: 'postgres' as const, skip: PG_SKIP },
])('$engine migrations', ({ engine, skip }) => {
  const config = (): DeploymentConfig => {
    const location = engine === 'sqlite' ? tmp.file(`${crypto.randomUUID()}.db`) : uniqueSchema();
    if (engine === 'postgres') schemas.push(location);
    return { engine, location, privateKey: '', encryptionKey: '', tokenFormat: 'sealed' };
  };

  it('applies each version once when two processes migrate a new database at the same time', async (t) => {
    if (skip) return t.skip(skip);
    const c = config();
    const versions = (engine === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).map((m) => m.version);
    const latest = versions.at(-1)!;
    const reports = await Promise.all([migrateInChild(c), migrateInChild(c)]);
    expect(reports.map((r) => r.version)).toEqual([latest, latest]);
    expect(reports.map((r) => r.applied).sort((a, b) => a.length - b.length)).toEqual([[], versions]);

    // A third run, in this process, finds nothing to do, and the schema works.
    const storage = openDeploymentStorage(c);
    try {
      expect(await storage.migrate()).toEqual({ applied: [], version: latest });
      await storage.admin.addScope({ id: 'read' });
      expect(await storage.scopes.getScopes(['read'])).toEqual([{ id: 'read' }]);
    } finally {
      await storage.close();
    }
  });
});

describe.skipIf(PG_SKIP !== undefined)('PostgreSQL migrations under contention', () => {
  it('serialises four concurrent migrators of one new schema on the advisory lock: one applies, three find it current', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const config: DeploymentConfig = { engine: 'postgres', location: schema, privateKey: '', encryptionKey: '', tokenFormat: 'sealed' };
    const storages = Array.from({ length: 4 }, () => openDeploymentStorage(config));
    try {
      const reports = await Promise.all(storages.map((s) => s.migrate()));
      expect(reports.filter((r) => r.applied.length === POSTGRES_MIGRATIONS.length)).toHaveLength(1);
      expect(reports.filter((r) => r.applied.length === 0)).toHaveLength(3);
    } finally {
      await Promise.all(storages.map((s) => s.close()));
    }
  });
});
