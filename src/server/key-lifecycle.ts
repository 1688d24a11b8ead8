import type { EncryptionKeyInput } from '../tokens/encryption-keys.js';
import type { SigningKeyInput } from '../tokens/signing-key-set.js';
import type { KeysFile, StoredEncryptionKey, StoredSigningKey } from './key-store.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * How long keys live around a rotation, in seconds. A rotation publishes the new keys at once and lets them start
 * signing and sealing only after `activationDelay`, so that every resource server's cached JWK set (and every
 * instance of this server) knows the new signing key before the first token it signs; an old key is kept, still
 * published or still decrypting, for as long as anything it made can still be presented.
 *
 * @example
 * ```ts
 * const policy: KeyLifecyclePolicy = { activationDelay: 900, signingRetention: 3600 + 300, encryptionRetention: 30 * 86400 + 300 };
 * ```
 */
export interface KeyLifecyclePolicy {
  /** From publication to first use: at least the JWKS cache lifetime plus the servers' key poll interval. */
  readonly activationDelay: number;
  /** After a signing key stops signing: the longest access-token lifetime (plus clock skew). */
  readonly signingRetention: number;
  /** After an encryption key stops sealing: the longest lifetime of a refresh token, code, device code or session. */
  readonly encryptionRetention: number;
}

/**
 * Where a key is in its life at a given time: `pending` (published, not yet used), `active` (signs or seals new
 * tokens), `retiring` (verifies or decrypts what it made, until `retireAfter`).
 *
 * @example
 * ```ts
 * const state: KeyState = 'pending';
 * ```
 */
export type KeyState = 'pending' | 'active' | 'retiring';

/**
 * One key's state and times, as `grantry keys list` shows them.
 *
 * @example
 * ```ts
 * const view: KeyView = { kid: 'k1', state: 'active', createdAt: 0, activatesAt: 0 };
 * ```
 */
export interface KeyView {
  readonly kid: string;
  readonly state: KeyState;
  /** Times in ms since the epoch. */
  readonly createdAt: number;
  readonly activatesAt: number;
  /** When it stopped being used (its successor's activation), for a retiring key. */
  readonly deactivatedAt?: number;
  /** When a rotation may drop it, for a retiring key (with the policy given). */
  readonly retireAfter?: number;
}

/** What the lifecycle reads of a stored key. */
type Timed = Pick<StoredSigningKey | StoredEncryptionKey, 'kid' | 'createdAt' | 'activatesAt'>;

/** A stored key's activation time: keys written before activation times existed activated when created. */
const activatesAt = (key: Timed): number => Date.parse(key.activatesAt ?? key.createdAt);

/**
 * The state of each key of one kind at `now`: the newest key whose activation time has come is active; newer keys
 * are pending; older ones are retiring since their successor's activation. Ordered newest first. If no key has
 * activated yet (a clock set back), the oldest is treated as active so that the server can always sign.
 *
 * @example
 * ```ts
 * const views = keyViews(keys.signing, Date.now(), policy.signingRetention);
 * views.find((k) => k.state === 'active')?.kid;
 * ```
 */
export function keyViews(keys: readonly Timed[], now: number, retention?: number): KeyView[] {
  const sorted = [...keys].sort((a, b) => activatesAt(b) - activatesAt(a) || Date.parse(b.createdAt) - Date.parse(a.createdAt));
  let activeIndex = sorted.findIndex((k) => activatesAt(k) <= now);
  if (activeIndex < 0) activeIndex = sorted.length - 1;
  return sorted.map((key, i) => {
    const base = { kid: key.kid, createdAt: Date.parse(key.createdAt), activatesAt: activatesAt(key) };
    if (i < activeIndex) return { ...base, state: 'pending' as const };
    if (i === activeIndex) return { ...base, state: 'active' as const };
    const deactivatedAt = activatesAt(sorted[i - 1]!);
    return { ...base, state: 'retiring' as const, deactivatedAt, ...(retention === undefined ? {} : { retireAfter: deactivatedAt + secondsToMs(retention) }) };
  });
}

/**
 * The signing keys at `now`, as `AuthorizationServer` takes them: the active key signs, pending and retiring keys
 * are published in the JWKS and verify.
 *
 * @example
 * ```ts
 * new AuthorizationServer({ ...repos, issuer, privateKey: signingKeysAt(keys, Date.now()), encryptionKey: encryptionKeysAt(keys, Date.now()) });
 * ```
 */
export function signingKeysAt(keys: KeysFile, now: number): SigningKeyInput[] {
  const states = new Map(keyViews(keys.signing, now).map((v) => [v.kid, v.state]));
  return keys.signing.map((k) => ({ key: k.privateKeyPem, kid: k.kid, alg: k.alg, status: states.get(k.kid) === 'active' ? 'active' : 'published' }));
}

/**
 * The encryption keys at `now`, active first (it seals), then every other key (they open): a pending key already
 * opens what another instance, which activated it a moment earlier, sealed.
 *
 * @example
 * ```ts
 * await server.rotateKeys({ encryptionKey: encryptionKeysAt(keys, Date.now()) });
 * ```
 */
export function encryptionKeysAt(keys: KeysFile, now: number): EncryptionKeyInput[] {
  const views = keyViews(keys.encryption, now);
  const active = views.find((v) => v.state === 'active')!.kid;
  const byKid = new Map(keys.encryption.map((k) => [k.kid, k]));
  return [active, ...views.map((v) => v.kid).filter((kid) => kid !== active)].map((kid) => ({ key: byKid.get(kid)!.key, kid }));
}

/**
 * A string that changes exactly when the keys a server should run with change (a pending key activating, a key
 * retired): running servers compare it to swap keys without a restart.
 *
 * @example
 * ```ts
 * if (keysFingerprint(keys, Date.now()) !== applied) await app.server.rotateKeys(...);
 * ```
 */
export function keysFingerprint(keys: KeysFile, now: number): string {
  const part = (views: KeyView[]) => views.map((v) => `${v.kid}:${v.state}`).join(',');
  return `${part(keyViews(keys.signing, now))}|${part(keyViews(keys.encryption, now))}`;
}

/**
 * Drops the keys whose retention has passed at `now`: a retiring signing key once no access token it signed can
 * still be valid, a retiring encryption key once nothing it sealed can still be presented. Pending and active keys
 * are always kept, however often rotation runs.
 *
 * @example
 * ```ts
 * const kept = pruneKeys(keys, Date.now(), policy);
 * ```
 */
export function pruneKeys(keys: KeysFile, now: number, policy: KeyLifecyclePolicy): KeysFile {
  const keep = (list: readonly Timed[], retention: number): Set<string> =>
    new Set(keyViews(list, now, retention).filter((v) => v.retireAfter === undefined || v.retireAfter > now).map((v) => v.kid));
  const signing = keep(keys.signing, policy.signingRetention);
  const encryption = keep(keys.encryption, policy.encryptionRetention);
  return { ...keys, signing: keys.signing.filter((k) => signing.has(k.kid)), encryption: keys.encryption.filter((k) => encryption.has(k.kid)) };
}
