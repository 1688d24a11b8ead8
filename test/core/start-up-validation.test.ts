import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthorizationServer } from '../../src/core/authorization-server.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { encryptionKey, privateKeyPem, publicKeyPem } from '../support/fixtures.js';

const storage = createMemoryStorage();
const base = { clients: storage.clients, accessTokens: storage.accessTokens, scopes: storage.scopes, issuer: 'https://auth.example.test' };
const dir = mkdtempSync(join(tmpdir(), 'grantry-startup-'));

describe('key mistakes fail when the server is built, not at the first request', () => {
  it.each([
    ['a short encryption key', { privateKey: privateKeyPem, encryptionKey: 'c2hvcnQ=' }, /grantry: encryptionKey: an encryption key must be exactly 32 random bytes.*openssl rand -base64 32/],
    ['a passphrase as encryption key', { privateKey: privateKeyPem, encryptionKey: 'my long and secret operator passphrase' }, /encryptionKey: .*32 random bytes/],
    ['a short key in a rotation list', { privateKey: privateKeyPem, encryptionKey: [{ key: encryptionKey }, { key: 'abcd' }] }, /encryptionKey\[1\]: .*32 random bytes/],
    ['a public key given as the private key', { privateKey: publicKeyPem, encryptionKey }, /privateKey is a public key.*BEGIN PRIVATE KEY/],
    ['PEM text cut short', { privateKey: privateKeyPem.slice(0, 200), encryptionKey }, /privateKey: the PEM text has no -----END/],
    ['no private key', { privateKey: '', encryptionKey }, /privateKey is required.*openssl genpkey/],
  ])('the constructor refuses %s with a TypeError naming it and the fix', (_what, keys, message) => {
    expect(() => new AuthorizationServer({ ...base, ...keys })).toThrow(TypeError);
    expect(() => new AuthorizationServer({ ...base, ...keys })).toThrow(message);
  });

  it('ready() rejects a missing key file, naming the path and how to make a key', async () => {
    const path = join(dir, 'missing.key');
    const server = new AuthorizationServer({ ...base, privateKey: path, encryptionKey });
    await expect(server.ready()).rejects.toThrow(TypeError);
    await expect(server.ready()).rejects.toThrow(`grantry: privateKey: the key file ${path} does not exist; give PEM text, a path to a PEM file or a private JWK; make one with \`openssl genpkey`);
  });

  it('ready() rejects a key file whose PEM is garbage, naming the file, without echoing its content', async () => {
    const path = join(dir, 'garbage.key');
    writeFileSync(path, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    const server = new AuthorizationServer({ ...base, privateKey: path, encryptionKey });
    const error = await server.ready().then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toContain(`grantry: privateKey in ${path} is not a private key grantry can read`);
    expect(error!.message).not.toContain('bm90IGEga2V5');
  });

  it('ready() rejects inline PEM whose body is not a key', async () => {
    const server = new AuthorizationServer({ ...base, privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', encryptionKey });
    await expect(server.ready()).rejects.toThrow(/grantry: privateKey is not a private key grantry can read/);
  });

  it('ready() resolves with the server itself when the keys are good, from a file or inline', async () => {
    const path = join(dir, 'good.key');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(path, ec, { mode: 0o600 });
    const fromFile = new AuthorizationServer({ ...base, privateKey: path, encryptionKey });
    expect(await fromFile.ready()).toBe(fromFile);
    const inline = new AuthorizationServer({ ...base, privateKey: privateKeyPem, encryptionKey });
    expect((await (await inline.ready()).context()).signingKeys.active.alg).toBe('RS256');
  });
});
