import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-commands.js';
import { DEFAULT_CLEANUP_BATCH, DEFAULT_CLEANUP_MAX_BATCHES } from '../../src/storage/managed-storage.js';
import { loadConfig } from '../../src/server/config.js';
import { openServerStore } from '../../src/server/server-store.js';

const dir = mkdtempSync(join(tmpdir(), 'grantry-cleanup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = (db: Database.Database, table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('grantry cleanup', () => {
  it('removes every expired record in one run, more than one bounded storage clean-up takes, and keeps live ones', async () => {
    const config = loadConfig({ 'data-dir': dir, 'rate-limit-window': 'PT5M' }, {});
    const store = await openServerStore(config.database, config.dataDir);
    await store.storage.migrate();
    await store.rateLimits.record(['client:x'], Date.now()); // creates the limiter's table
    await store.close();

    // More expired access tokens than one storage clean-up run removes (batch size × batches per table).
    const backlog = DEFAULT_CLEANUP_BATCH * DEFAULT_CLEANUP_MAX_BATCHES + 2_500;
    const now = Date.now();
    const db = new Database(config.database);
    db.transaction(() => {
      const token = db.prepare('INSERT INTO grantry_access_tokens (id, client_id, scopes, expires_at) VALUES (?, ?, ?, ?)');
      for (let i = 0; i < backlog; i++) token.run(`old-${i}`, 'app', 'read', now - 1000);
      for (let i = 0; i < 10; i++) token.run(`live-${i}`, 'app', 'read', now + 3_600_000);
      const refresh = db.prepare('INSERT INTO grantry_refresh_tokens (id, family_id, client_id, scopes, expires_at) VALUES (?, ?, ?, ?, ?)');
      for (let i = 0; i < 1500; i++) refresh.run(`old-${i}`, `f-${i}`, 'app', 'read', now - 1000);
      refresh.run('live', 'f-live', 'app', 'read', now + 3_600_000);
      const code = db.prepare('INSERT INTO grantry_auth_codes (id, family_id, client_id, user_id, scopes, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
      for (let i = 0; i < 1200; i++) code.run(`old-${i}`, `c-${i}`, 'app', 'alice', 'read', now - 1000);
      const device = db.prepare('INSERT INTO grantry_device_codes (id, user_code, client_id, scopes, expires_at, poll_interval, status) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (let i = 0; i < 1100; i++) device.run(`old-${i}`, `U-${i}`, 'app', 'read', now - 1000, 5, 'pending');
      const failure = db.prepare('INSERT INTO grantry_server_rate_limit_failures (key, at) VALUES (?, ?)');
      for (let i = 0; i < 2500; i++) failure.run(`client:k${i}`, now - 600_000);
    })();

    const out = await runAdminCommand(['cleanup'], {}, config);
    expect(out.json).toMatchObject({ accessTokens: backlog, refreshTokens: 1500, authCodes: 1200, deviceCodes: 1100, rateLimitFailures: 2500, complete: true });
    expect(out.text).toContain(`Deleted ${backlog} access tokens`);
    expect(count(db, 'grantry_access_tokens')).toBe(10);
    expect(count(db, 'grantry_refresh_tokens')).toBe(1);
    expect(count(db, 'grantry_auth_codes')).toBe(0);
    expect(count(db, 'grantry_device_codes')).toBe(0);
    // The failure recorded a moment ago is still inside the limiter's window.
    expect(count(db, 'grantry_server_rate_limit_failures')).toBe(1);
    db.close();
  }, 30_000);
});
