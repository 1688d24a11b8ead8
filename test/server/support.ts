import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RawSettings } from '../../src/server/config.js';
import { createGrantryApp, type GrantryApp } from '../../src/server/grantry-app.js';
import { createClient, openServerStore, type ServerStore } from '../../src/server/server-store.js';
import { testClock } from '../support/fixtures.js';

export const ISSUER = 'http://auth.test';
export const REDIRECT = 'https://app.test/cb';

export interface TestApp {
  app: GrantryApp;
  store: ServerStore;
  clock: ReturnType<typeof testClock>;
  clientId: string;
  clientSecret: string;
  /** The security log lines the app wrote. */
  logs: Record<string, unknown>[];
  /** Sends a request to the app from a source address. */
  send(path: string, init?: RequestInit & { source?: string }): Promise<Response>;
}

/** The ready server in process: SQLite in memory, keys in a temp dir, a test clock; user alice, client app. */
let sharedDataDir: string | undefined;

export async function createTestApp(flags: RawSettings = {}): Promise<TestApp> {
  // One data dir (and so one generated RSA key) per test file: key generation is slow.
  const dataDir = (sharedDataDir ??= mkdtempSync(join(tmpdir(), 'grantry-app-')));
  const config = loadConfig({ 'data-dir': dataDir, database: ':memory:', grants: 'authorization_code,client_credentials,refresh_token,device_code,password', ...flags }, {});
  const store = await openServerStore(config.database, dataDir);
  await store.storage.migrate();
  await store.storage.admin.addScope({ id: 'read' });
  await store.storage.admin.createUser({ username: 'alice', password: 'wonderland' });
  const { client, secret } = await createClient(store, {
    name: 'Test <App>',
    grantTypes: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'password'],
    scopes: ['read'],
    redirectUris: [REDIRECT],
    public: false,
  });
  const clock = testClock(Date.now());
  const logs: Record<string, unknown>[] = [];
  const app = await createGrantryApp({ config, store, keys: await store.keys.load(), issuer: config.issuer ?? ISSUER, clock, logger: { error: () => undefined }, log: (line) => logs.push(line) });
  return {
    app,
    store,
    clock,
    clientId: client.id,
    clientSecret: secret!,
    logs,
    send: (path, init = {}) => app.fetch(new Request(new URL(path, config.issuer ?? ISSUER), init), { source: init.source ?? '192.0.2.1' }),
  };
}

/** Collects cookies across page requests. */
export class Browser {
  cookie = '';
  constructor(readonly t: TestApp, readonly source = '192.0.2.1') {}
  async get(path: string): Promise<Response> {
    return this.#keep(await this.t.send(path, { headers: { cookie: this.cookie }, source: this.source }));
  }
  async post(path: string, form: Record<string, string>): Promise<Response> {
    return this.#keep(
      await this.t.send(path, {
        method: 'POST',
        headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        source: this.source,
      }),
    );
  }
  #keep(response: Response): Response {
    const set = response.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';', 1)[0]!;
    return response;
  }
}

export function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name}`);
  return m[1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

export const basic = (id: string, secret: string): string => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
