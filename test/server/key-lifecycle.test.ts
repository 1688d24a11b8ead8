import { describe, expect, it } from 'vitest';
import { encryptionKeysAt, keyViews, pruneKeys, signingKeysAt, type KeyLifecyclePolicy } from '../../src/server/key-lifecycle.js';
import { rotatedKeys, type KeysFile } from '../../src/server/key-store.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const t0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const policy: KeyLifecyclePolicy = { activationDelay: 15 * 60, signingRetention: HOUR / 1000 + 300, encryptionRetention: 30 * 24 * 3600 + 300 };

/** A keys document whose signing keys were created (and activated) at the given times; PEMs are not read here. */
function keysAt(...times: [created: number, activates?: number][]): KeysFile {
  return {
    signing: times.map(([c, a], i) => ({ kid: `s${i}`, alg: 'RS256' as const, createdAt: iso(c), activatesAt: iso(a ?? c), privateKeyPem: '-----BEGIN PRIVATE KEY-----' })),
    encryption: times.map(([c, a], i) => ({ kid: `e${i}`, createdAt: iso(c), activatesAt: iso(a ?? c), key: `key${i}` })),
    session: 'x'.repeat(43),
  };
}

const stateOf = (keys: KeysFile, now: number) => Object.fromEntries(keyViews(keys.signing, now).map((v) => [v.kid, v.state]));

describe('key lifecycle: publish, then activate, then retire', () => {
  it('keeps the old key signing until the new one activates, then the new one signs and the old one verifies', () => {
    const keys = keysAt([t0], [t0 + HOUR, t0 + HOUR + 15 * MIN]);
    expect(stateOf(keys, t0 + HOUR)).toEqual({ s0: 'active', s1: 'pending' });
    expect(signingKeysAt(keys, t0 + HOUR).map((k) => [k.kid, k.status])).toEqual([['s0', 'active'], ['s1', 'published']]);
    expect(stateOf(keys, t0 + HOUR + 15 * MIN)).toEqual({ s0: 'retiring', s1: 'active' });
    expect(signingKeysAt(keys, t0 + HOUR + 15 * MIN).map((k) => [k.kid, k.status])).toEqual([['s0', 'published'], ['s1', 'active']]);
  });

  it('seals with the active encryption key only; a pending key already opens (another instance may have activated it)', () => {
    const keys = keysAt([t0], [t0 + HOUR, t0 + 2 * HOUR]);
    expect(encryptionKeysAt(keys, t0 + HOUR).map((k) => k.kid)).toEqual(['e0', 'e1']);
    expect(encryptionKeysAt(keys, t0 + 2 * HOUR).map((k) => k.kid)).toEqual(['e1', 'e0']);
  });

  it('retires a signing key only once the longest access token it signed has expired, however often rotation runs', () => {
    let keys = keysAt([t0]);
    // Three rotations eight seconds apart (the defect: the first key was dropped while its tokens still lived).
    for (let i = 1; i <= 3; i++) keys = rotatedKeys(keys, policy, t0 + i * 8000);
    expect(keys.signing).toHaveLength(4);
    expect(keys.encryption).toHaveLength(4);
    const lastActivation = t0 + 3 * 8000 + policy.activationDelay * 1000;
    const views = keyViews(keys.signing, lastActivation, policy.signingRetention);
    expect(views.map((v) => v.state)).toEqual(['active', 'retiring', 'retiring', 'retiring']);
    // s0 signed until the first new key activated: it stays until that moment plus the retention.
    const s0 = views.find((v) => v.kid === 's0')!;
    expect(s0.deactivatedAt).toBe(t0 + 8000 + policy.activationDelay * 1000);
    expect(s0.retireAfter).toBe(s0.deactivatedAt! + policy.signingRetention * 1000);
    expect(pruneKeys(keys, s0.retireAfter! - 1, policy).signing.map((k) => k.kid)).toContain('s0');
    expect(pruneKeys(keys, s0.retireAfter!, policy).signing.map((k) => k.kid)).not.toContain('s0');
    // Encryption keys are kept for the refresh-token lifetime, far longer.
    expect(pruneKeys(keys, s0.retireAfter! + HOUR, policy).encryption.map((k) => k.kid)).toContain('e0');
  });

  it('never drops a pending or active key', () => {
    const keys = keysAt([t0 - 365 * 24 * HOUR], [t0, t0 + 999 * HOUR]);
    const kept = pruneKeys(keys, t0 + 1, policy);
    expect(kept.signing.map((k) => k.kid).sort()).toEqual(['s0', 's1']);
    expect(stateOf(kept, t0 + 1)).toEqual({ s0: 'active', s1: 'pending' });
  });

  it('treats keys written before activation times as activated when created (the newest is active)', () => {
    const legacy: KeysFile = {
      signing: [
        { kid: 'new', alg: 'RS256', status: 'active', createdAt: iso(t0 + HOUR), privateKeyPem: 'PRIVATE KEY' },
        { kid: 'old', alg: 'RS256', status: 'published', createdAt: iso(t0), privateKeyPem: 'PRIVATE KEY' },
      ],
      encryption: [{ kid: 'e', createdAt: iso(t0), key: 'k' }],
      session: 'x'.repeat(43),
    };
    expect(stateOf(legacy, t0 + 2 * HOUR)).toEqual({ new: 'active', old: 'retiring' });
  });
});
