import { describe, expect, it, type TestContext } from 'vitest';
import type { ClientRegistration } from '../../contracts/client-registration-repository.js';
import type { Client } from '../../contracts/types.js';
import { DuplicateRecordError } from '../storage-admin.js';
import { accessToken, countStatuses, uid, type ConformanceContext } from './conformance-context.js';

const client = (over: Partial<Client> = {}): Client => ({
  id: uid('registered'),
  name: 'Registered app',
  redirectUris: ['http://127.0.0.1:8765/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['read'],
  ...over,
});

const registrationOf = (c: Client, over: Partial<ClientRegistration> = {}): ClientRegistration => ({
  clientId: c.id,
  accessTokenHash: uid('hash'),
  metadata: { client_name: c.name, redirect_uris: c.redirectUris, token_endpoint_auth_method: 'none', grant_types: c.grantTypes },
  issuedAt: Date.parse('2026-01-01T00:00:00Z'),
  ...over,
});

/** Dynamic client registration (RFC 7591/7592): registered clients as ordinary clients, and initial access tokens. */
export function registrationCases(ctx: ConformanceContext): void {
  const storage = () => ctx.storage();
  const need = (t: TestContext): void => {
    if (!storage().registrations || !storage().initialAccessTokens) t.skip('this storage has no registration repositories');
  };

  describe('client registration (RFC 7591/7592)', () => {
    it('stores a registered client as an ordinary client with origin registration, and its registration', async (t) => {
      need(t);
      const c = client();
      const r = registrationOf(c);
      await storage().registrations!.register(c, r);
      expect(await storage().clients.getClient(c.id)).toEqual({ ...c, origin: 'registration' });
      expect(await storage().registrations!.find(c.id)).toEqual(r);
      await expect(storage().registrations!.register(c, r)).rejects.toBeInstanceOf(DuplicateRecordError);
      if (storage().admin) expect((await storage().admin!.listClients()).find((x) => x.id === c.id)?.origin).toBe('registration');
    });

    it('replaces a registered client and its metadata on update, and keeps its origin (RFC 7592 §2.2)', async (t) => {
      need(t);
      const c = client();
      await storage().registrations!.register(c, registrationOf(c));
      const next = { ...c, name: 'Renamed', scopes: [], redirectUris: ['https://app.example.test/cb'] };
      const r = registrationOf(next, { metadata: { client_name: 'Renamed' } });
      expect(await storage().registrations!.update(next, r)).toBe(true);
      expect(await storage().clients.getClient(c.id)).toEqual({ ...next, origin: 'registration' });
      expect((await storage().registrations!.find(c.id))?.metadata).toEqual({ client_name: 'Renamed' });
      if (storage().admin) {
        expect(await storage().admin!.updateClient({ ...next, name: 'By the operator' })).toBe(true);
        expect((await storage().clients.getClient(c.id))?.origin).toBe('registration');
      }
    });

    it('does not update, through registration, a client the operator created', async (t) => {
      need(t);
      if (!storage().admin) return t.skip('this storage has no admin');
      const c = client();
      await storage().admin!.createClient({ ...c, origin: 'registration' });
      // The operator's admin never creates a registration client, whatever origin it is handed.
      expect((await storage().clients.getClient(c.id))?.origin).toBeUndefined();
      expect(await storage().registrations!.find(c.id)).toBeUndefined();
      expect(await storage().registrations!.update({ ...c, name: 'Hijacked' }, registrationOf(c))).toBe(false);
      expect((await storage().clients.getClient(c.id))?.name).toBe(c.name);
      expect(await storage().registrations!.delete(c.id)).toBe(false);
      expect(await storage().clients.getClient(c.id)).toBeDefined();
    });

    it('deletes a registered client with its registration and revokes its tokens (RFC 7592 §2.3)', async (t) => {
      need(t);
      const c = client();
      await storage().registrations!.register(c, registrationOf(c));
      const token = accessToken({ clientId: c.id });
      await storage().accessTokens.save(token);
      expect(await storage().registrations!.delete(c.id)).toBe(true);
      expect(await storage().clients.getClient(c.id)).toBeUndefined();
      expect(await storage().registrations!.find(c.id)).toBeUndefined();
      expect(await storage().accessTokens.isRevoked(token.id)).toBe(true);
      expect(await storage().registrations!.delete(c.id)).toBe(false);
    });

    it('ends the registration when the operator deletes the client', async (t) => {
      need(t);
      if (!storage().admin) return t.skip('this storage has no admin');
      const c = client();
      await storage().registrations!.register(c, registrationOf(c));
      expect(await storage().admin!.deleteClient(c.id)).toBe(true);
      expect(await storage().registrations!.find(c.id)).toBeUndefined();
    });
  });

  describe('initial access tokens (RFC 7591 §3)', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');

    it('spends a single-use token exactly once under concurrency', async (t) => {
      need(t);
      const id = uid('iat');
      await storage().initialAccessTokens!.save({ id, createdAt: now, usesLeft: 1 });
      const results = await Promise.all(Array.from({ length: 8 }, () => storage().initialAccessTokens!.use(id, now)));
      expect(countStatuses(results.map((ok) => ({ status: String(ok) })))).toEqual({ true: 1, false: 7 });
      expect((await storage().initialAccessTokens!.list()).find((r) => r.id === id)?.usesLeft).toBe(0);
    });

    it('refuses an expired or unknown token, keeps an unlimited one, and deletes', async (t) => {
      need(t);
      const [expiring, unlimited] = [uid('iat'), uid('iat')];
      await storage().initialAccessTokens!.save({ id: expiring, description: 'CI', createdAt: now, expiresAt: now + 1000 });
      await storage().initialAccessTokens!.save({ id: unlimited, createdAt: now + 1 });
      expect(await storage().initialAccessTokens!.use(expiring, now + 999)).toBe(true);
      expect(await storage().initialAccessTokens!.use(expiring, now + 1000)).toBe(false);
      expect(await storage().initialAccessTokens!.use(uid('iat'), now)).toBe(false);
      for (let i = 0; i < 3; i++) expect(await storage().initialAccessTokens!.use(unlimited, now)).toBe(true);
      const listed = await storage().initialAccessTokens!.list();
      expect(listed.find((r) => r.id === expiring)).toEqual({ id: expiring, description: 'CI', createdAt: now, expiresAt: now + 1000 });
      expect(listed.find((r) => r.id === unlimited)).toEqual({ id: unlimited, createdAt: now + 1 });
      expect(await storage().initialAccessTokens!.delete(unlimited)).toBe(true);
      expect(await storage().initialAccessTokens!.use(unlimited, now)).toBe(false);
      expect(await storage().initialAccessTokens!.delete(unlimited)).toBe(false);
    });
  });
}
