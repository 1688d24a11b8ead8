import { describe, expect, it, type TestContext } from 'vitest';
import type { Client } from '../../contracts/types.js';
import { DuplicateRecordError } from '../storage-admin.js';
import { uid, type ConformanceContext } from './conformance-context.js';

const client = (over: Partial<Client> = {}): Client => ({
  id: uid('client'),
  name: 'Conformance app',
  secretHash: 'sha256$47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
  redirectUris: ['https://app.example.test/cb', 'http://127.0.0.1/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['read'],
  ...over,
});

/** Clients, users and scopes through {@link StorageAdmin}, as the repositories then see them. */
export function adminCases(ctx: ConformanceContext): void {
  const admin = () => ctx.storage().admin!;
  const needAdmin = (t: TestContext): void => {
    if (!ctx.storage().admin) t.skip('this storage has no admin');
  };

  describe('clients', () => {
    it('answers undefined for an unknown client', async () => {
      expect(await ctx.storage().clients.getClient('client-unknown')).toBeUndefined();
    });

    it('creates confidential and public clients that the repository reads back as given', async (t) => {
      needAdmin(t);
      const confidential = client();
      const { secretHash: _, ...publicClient } = client({ scopes: [] });
      await admin().createClient(confidential);
      await admin().createClient(publicClient);
      expect(await ctx.storage().clients.getClient(confidential.id)).toEqual(confidential);
      expect(await ctx.storage().clients.getClient(publicClient.id)).toEqual(publicClient);
      expect(await admin().getClient(publicClient.id)).toEqual(publicClient);
      const ids = (await admin().listClients()).map((c) => c.id);
      expect(ids).toEqual(expect.arrayContaining([confidential.id, publicClient.id]));
      expect(ids).toEqual([...ids].sort());
    });

    it('keeps a client\'s authentication method, keys and PAR requirement across create and update (RFC 7591 §2, RFC 9126 §6)', async (t) => {
      needAdmin(t);
      const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };
      const { secretHash: _, ...base } = client();
      const withJwks: Client = { ...base, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] }, requirePushedAuthorizationRequests: true };
      await admin().createClient(withJwks);
      expect(await ctx.storage().clients.getClient(withJwks.id)).toEqual(withJwks);
      const { jwks: __, requirePushedAuthorizationRequests: ___, ...rest } = withJwks;
      const withUri: Client = { ...rest, jwksUri: 'https://client.example/jwks.json' };
      expect(await admin().updateClient(withUri)).toBe(true);
      expect(await admin().getClient(withUri.id)).toEqual(withUri);
      const hmac: Client = { ...base, id: uid('client'), tokenEndpointAuthMethod: 'client_secret_jwt', secretForJwt: 'x'.repeat(43) };
      await admin().createClient(hmac);
      expect((await admin().listClients()).find((c) => c.id === hmac.id)).toEqual(hmac);
      await expect(admin().createClient({ ...base, id: uid('client'), tokenEndpointAuthMethod: 'private_key_jwt' })).rejects.toThrow(TypeError);
    });

    it('keeps a client\'s permissions across create and update (RFC 7662 §4 introspection permission)', async (t) => {
      needAdmin(t);
      const c = client({ permissions: ['introspect'] });
      await admin().createClient(c);
      expect((await ctx.storage().clients.getClient(c.id))?.permissions).toEqual(['introspect']);
      expect(await admin().updateClient({ ...c, permissions: [] })).toBe(true);
      expect((await admin().getClient(c.id))?.permissions ?? []).toEqual([]);
      expect(await admin().updateClient({ ...c, permissions: ['introspect'] })).toBe(true);
      expect((await admin().listClients()).find((x) => x.id === c.id)?.permissions).toEqual(['introspect']);
    });

    it('keeps a client\'s access-token format across create and update, and refuses an unknown one', async (t) => {
      needAdmin(t);
      const c = client({ accessTokenFormat: 'opaque' });
      await admin().createClient(c);
      expect(await ctx.storage().clients.getClient(c.id)).toEqual(c);
      expect(await admin().updateClient({ ...c, accessTokenFormat: 'jwt' })).toBe(true);
      expect((await admin().getClient(c.id))?.accessTokenFormat).toBe('jwt');
      const { accessTokenFormat: _, ...unset } = c;
      expect(await admin().updateClient(unset)).toBe(true);
      expect((await admin().listClients()).find((x) => x.id === c.id)).toEqual(unset);
      await expect(admin().createClient(client({ accessTokenFormat: 'paseto' as 'jwt' }))).rejects.toBeInstanceOf(TypeError);
    });

    it('refuses a duplicate client id', async (t) => {
      needAdmin(t);
      const c = client();
      await admin().createClient(c);
      await expect(admin().createClient({ ...c, name: 'Other' })).rejects.toBeInstanceOf(DuplicateRecordError);
    });

    it('shows updates and deletions to the repository at once (no caching)', async (t) => {
      needAdmin(t);
      const c = client();
      await admin().createClient(c);
      expect(await ctx.storage().clients.getClient(c.id)).toEqual(c);
      expect(await admin().updateClient({ ...c, grantTypes: ['client_credentials'] })).toBe(true);
      expect((await ctx.storage().clients.getClient(c.id))?.grantTypes).toEqual(['client_credentials']);
      expect(await admin().deleteClient(c.id)).toBe(true);
      expect(await ctx.storage().clients.getClient(c.id)).toBeUndefined();
      expect(await admin().deleteClient(c.id)).toBe(false);
      expect(await admin().updateClient(c)).toBe(false);
    });
  });

  describe('scopes', () => {
    it('returns only known scopes, in the order asked, and updates descriptions', async (t) => {
      needAdmin(t);
      const [a, b] = [uid('scope'), uid('scope')];
      await admin().addScope({ id: a });
      await admin().addScope({ id: b, description: 'first' });
      await admin().addScope({ id: b, description: 'second' });
      expect(await ctx.storage().scopes.getScopes([b, 'scope-unknown', a])).toEqual([{ id: b, description: 'second' }, { id: a }]);
      expect(await ctx.storage().scopes.getScopes([])).toEqual([]);
      expect((await admin().listScopes()).map((s) => s.id)).toEqual(expect.arrayContaining([a, b]));
      expect(await admin().deleteScope(a)).toBe(true);
      expect(await ctx.storage().scopes.getScopes([a])).toEqual([]);
    });

    it('sees a change made through the admin at once, even for scopes it has just read (an engine may remember them)', async (t) => {
      needAdmin(t);
      const [a, b] = [uid('scope'), uid('scope')];
      await admin().addScope({ id: a, description: 'before' });
      // Read first: an engine that remembers scopes (PostgreSQL) now holds `a` and knows `b` does not exist.
      expect(await ctx.storage().scopes.getScopes([a, b])).toEqual([{ id: a, description: 'before' }]);
      await admin().addScope({ id: a, description: 'after' });
      await admin().addScope({ id: b });
      expect(await ctx.storage().scopes.getScopes([a, b])).toEqual([{ id: a, description: 'after' }, { id: b }]);
      expect(await admin().deleteScope(b)).toBe(true);
      expect(await ctx.storage().scopes.getScopes([b, a])).toEqual([{ id: a, description: 'after' }]);
    });
  });

  describe('users', () => {
    const anyClient = client();

    it('checks credentials against the stored hash (RFC 6749 §4.3.2)', async (t) => {
      needAdmin(t);
      const username = uid('alice');
      const user = await admin().createUser({ username, password: 'correct horse' });
      expect(user.username).toBe(username);
      expect(user.id).toMatch(/./);
      expect(await ctx.storage().users.getUser(user.id)).toEqual(user);
      expect(await ctx.storage().users.getUserByCredentials(username, 'correct horse', 'password', anyClient)).toEqual(user);
      expect(await ctx.storage().users.getUserByCredentials(username, 'correct horsE', 'password', anyClient)).toBeUndefined();
      expect(await ctx.storage().users.getUserByCredentials(uid('nobody'), 'correct horse', 'password', anyClient)).toBeUndefined();
      // Client input with a NUL byte is simply no such user (PostgreSQL text cannot hold NUL: no storage error).
      expect(await ctx.storage().users.getUserByCredentials(`${username}\u0000`, 'correct horse', 'password', anyClient)).toBeUndefined();
      expect(await admin().setUserPassword(user.id, 'battery staple')).toBe(true);
      expect(await ctx.storage().users.getUserByCredentials(username, 'correct horse', 'password', anyClient)).toBeUndefined();
      expect(await ctx.storage().users.getUserByCredentials(username, 'battery staple', 'password', anyClient)).toEqual(user);
    });

    it('refuses a duplicate username, lists users without hashes, deletes them', async (t) => {
      needAdmin(t);
      const username = uid('bob');
      const user = await admin().createUser({ id: uid('user'), username, password: 'pw' });
      await expect(admin().createUser({ username, password: 'other' })).rejects.toBeInstanceOf(DuplicateRecordError);
      const listed = (await admin().listUsers()).find((u) => u.id === user.id);
      expect(listed).toEqual(user);
      expect(await admin().deleteUser(user.id)).toBe(true);
      expect(await ctx.storage().users.getUser(user.id)).toBeUndefined();
      expect(await ctx.storage().users.getUserByCredentials(username, 'pw', 'password', anyClient)).toBeUndefined();
    });
  });
}
