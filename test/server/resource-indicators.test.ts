// The ready server with RFC 8707 resources: registered through the CLI's commands, read from storage by the server,
// shown on the consent page, and the token's audience.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { resourcesCommand } from '../../src/cli/resources-command.js';
import { clientsCommand } from '../../src/cli/clients-command.js';
import { UsageError } from '../../src/cli/cli-error.js';
import { openServerStore } from '../../src/server/server-store.js';
import { basic, Browser, createTestApp, field, REDIRECT, type TestApp } from './support.js';

const MCP = 'https://mcp.example.test/mcp';
const verifier = 'v'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const claims = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function signIn(b: Browser): Promise<void> {
  const html = await (await b.get('/login?return_to=%2F')).text();
  await b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: '/', username: 'alice', password: 'wonderland' });
}

describe('ready server: resource indicators (RFC 8707) from storage', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
    await resourcesCommand(t.store, 'create', MCP, { name: 'MCP', scopes: 'read', 'access-token-ttl': 'PT5M' });
  });

  it('issues a token for a resource registered through the CLI, with its audience and lifetime', async () => {
    const res = await t.send('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(t.clientId, t.clientSecret) },
      body: new URLSearchParams([['grant_type', 'client_credentials'], ['scope', 'read'], ['resource', MCP]]).toString(),
    });
    const body = (await res.json()) as { access_token: string; expires_in: number };
    expect(res.status).toBe(200);
    expect(claims(body.access_token).aud).toBe(MCP);
    expect(body.expires_in).toBe(300);
    const metadata = (await (await t.send('/.well-known/oauth-authorization-server')).json()) as { protected_resources?: string[] };
    expect(metadata.protected_resources).toEqual([MCP]);
  });

  it('refuses a resource the client may not use (clients update --resource) with invalid_target', async () => {
    const other = 'https://api.example.test';
    await resourcesCommand(t.store, 'create', other, {});
    await clientsCommand(t.store, 'update', t.clientId, { resource: [other] });
    expect((await t.store.storage.admin.getClient(t.clientId))?.resources).toEqual([other]);
    const res = await t.send('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(t.clientId, t.clientSecret) },
      body: new URLSearchParams([['grant_type', 'client_credentials'], ['resource', MCP]]).toString(),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_target');
  });

  it('shows the requested resource on the consent page and binds the code to it', async () => {
    const b = new Browser(t);
    await signIn(b);
    const query = new URLSearchParams([
      ['response_type', 'code'], ['client_id', t.clientId], ['redirect_uri', REDIRECT], ['scope', 'read'], ['state', 's'],
      ['code_challenge', challenge], ['code_challenge_method', 'S256'], ['resource', MCP],
    ]);
    const html = await (await b.get(`/authorize?${query.toString()}`)).text();
    expect(html).toContain('The access is for use at mcp.example.test/mcp.');
    // A remembered consent names no resource: the choice to remember is not offered for a resource request.
    expect(html).not.toContain('name="remember"');
    const allow = await b.post('/authorize/decision', { csrf_token: field(html, 'csrf_token'), consent: field(html, 'consent'), decision: 'allow' });
    const code = new URL(allow.headers.get('location')!).searchParams.get('code')!;
    const res = await t.send('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(t.clientId, t.clientSecret) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    });
    expect(claims(((await res.json()) as { access_token: string }).access_token).aud).toBe(MCP);
  });
});

describe('ready server: the device verification page names the resources', () => {
  it('shows the resource the device asked for before the user approves', async () => {
    const t = await createTestApp();
    await resourcesCommand(t.store, 'create', MCP, { scopes: 'read' });
    const started = await t.send('/device_authorization', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(t.clientId, t.clientSecret) },
      body: new URLSearchParams([['scope', 'read'], ['resource', MCP]]).toString(),
    });
    expect(started.status).toBe(200);
    const { user_code } = (await started.json()) as { user_code: string };
    const b = new Browser(t);
    await signIn(b);
    const entry = await (await b.get(`/device?user_code=${user_code}`)).text();
    const approval = await (await b.post('/device', { csrf_token: field(entry, 'csrf_token'), user_code })).text();
    expect(approval).toContain('The access is for use at mcp.example.test/mcp.');
  });
});

describe('grantry resources (CLI)', () => {
  it('creates, lists, updates, shows and deletes resources, and refuses bad values as usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantry-resources-'));
    const store = await openServerStore(join(dir, 'grantry.db'), dir);
    try {
      await store.storage.migrate();
      await store.storage.admin.addScope({ id: 'tools' });
      const created = await resourcesCommand(store, 'create', MCP, { name: 'MCP', scopes: 'tools', 'access-token-ttl': '600', 'access-token-format': 'opaque' });
      expect(created.json).toEqual({ resource: MCP, name: 'MCP', scopes: ['tools'], access_token_ttl: 600, access_token_format: 'opaque' });
      expect((await resourcesCommand(store, 'list', undefined, {})).json).toEqual([created.json]);
      await resourcesCommand(store, 'update', MCP, { 'access-token-ttl': 'PT2M' });
      expect((await resourcesCommand(store, 'show', MCP, {})).json).toMatchObject({ access_token_ttl: 120, scopes: ['tools'] });

      await expect(resourcesCommand(store, 'create', '/relative', {})).rejects.toBeInstanceOf(UsageError);
      await expect(resourcesCommand(store, 'create', 'https://x.example.test', { scopes: 'unknown' })).rejects.toThrow(/unknown scope/);
      await expect(resourcesCommand(store, 'create', 'https://x.example.test', { 'access-token-format': 'paseto' })).rejects.toBeInstanceOf(UsageError);
      await expect(clientsCommand(store, 'create', undefined, { name: 'A', 'grant-types': 'client_credentials', resource: ['https://nope.example.test'] })).rejects.toThrow(
        /unknown resource/,
      );
      const client = await clientsCommand(store, 'create', undefined, { name: 'A', 'grant-types': 'client_credentials', resource: [MCP] });
      expect(client.json).toMatchObject({ resources: [MCP] });

      expect((await resourcesCommand(store, 'delete', MCP, {})).json).toEqual({ deleted: MCP });
      await expect(resourcesCommand(store, 'delete', MCP, {})).rejects.toBeInstanceOf(UsageError);
    } finally {
      await store.close();
    }
  });
});
