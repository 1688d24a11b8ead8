import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, RateLimiter, type LimiterEvent, type RateLimiterOptions, type RateLimitStore } from '../../src/server/rate-limiter.js';
import { PostgresRateLimitStore, SqliteRateLimitStore } from '../../src/server/sql-rate-limit-store.js';
import { testClock } from '../support/fixtures.js';

const pools: pg.Pool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.end();
});

const stores: [string, () => Promise<RateLimitStore>][] = [
  ['memory', async () => new MemoryRateLimitStore()],
  ['SQLite', async () => SqliteRateLimitStore.open(new Database(':memory:'))],
];
if (process.env.DATABASE_URL) {
  stores.push([
    'PostgreSQL',
    async () => {
      const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
      pools.push(pool);
      const store = await PostgresRateLimitStore.open(pool);
      await store.prune(Number.MAX_SAFE_INTEGER);
      return store;
    },
  ]);
}

/** Unique names per test: the PostgreSQL table is shared by every test and every run. */
const unique = (name: string): string => `${name}-${Math.random().toString(36).slice(2)}`;

describe.each(stores)('RateLimiter on %s', (_name, open) => {
  const make = async (options: Partial<RateLimiterOptions> = {}) => {
    const clock = testClock();
    const events: LimiterEvent[] = [];
    const limiter = new RateLimiter(await open(), { max: 3, windowSeconds: 60, clock, slowdownMs: 0, onEvent: (e) => events.push(e), ...options });
    return { clock, limiter, events };
  };

  it('refuses one source one credential after max failures, with the seconds until the oldest leaves the window', async () => {
    const { clock, limiter } = await make();
    const credential = { kind: 'client_secret', subject: unique('app') } as const;
    const source = unique('198.51.100.1');
    for (let i = 0; i < 3; i++) {
      expect(await limiter.admit(source, [credential])).toBeUndefined();
      await limiter.fail(source, credential);
      clock.advance(10);
    }
    expect(await limiter.admit(source, [credential])).toBe(30);
    clock.advance(29);
    expect(await limiter.admit(source, [credential])).toBe(1);
    clock.advance(1);
    // The oldest failure left the sliding window: one more attempt is allowed.
    expect(await limiter.admit(source, [credential])).toBeUndefined();
  });

  it('keeps the owner in: another source, and the guessing source for another credential, are admitted', async () => {
    const { limiter, events } = await make();
    const credential = { kind: 'password', subject: unique('alice') } as const;
    const guesser = unique('203.0.113.9');
    for (let i = 0; i < 5; i++) await limiter.fail(guesser, credential);
    expect(await limiter.admit(guesser, [credential])).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'throttled')).toHaveLength(1);
    expect(await limiter.admit(unique('192.0.2.7'), [credential])).toBeUndefined();
    expect(await limiter.admit(guesser, [{ kind: 'password', subject: unique('bob') }])).toBeUndefined();
  });

  it('counts usernames without case and client ids with it', async () => {
    const { limiter } = await make();
    const source = unique('s');
    const name = unique('Carol');
    for (let i = 0; i < 3; i++) await limiter.fail(source, { kind: 'password', subject: name.toUpperCase() });
    expect(await limiter.admit(source, [{ kind: 'password', subject: name.toLowerCase() }])).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await limiter.fail(source, { kind: 'client_secret', subject: name.toUpperCase() });
    expect(await limiter.admit(source, [{ kind: 'client_secret', subject: name.toLowerCase() }])).toBeUndefined();
  });

  it('stores keys made of client input with control characters, colons and 20 KB without a storage error', async () => {
    const { limiter } = await make({ max: 2 });
    const weird = [`ali\u0000ce\u0007:${unique('x')}`, `${unique('y')}:${'z'.repeat(20_000)}`];
    for (const subject of weird) {
      await limiter.fail('2001:db8::1', { kind: 'password', subject });
      await limiter.fail('2001:db8::1', { kind: 'password', subject });
      expect(await limiter.admit('2001:db8::1', [{ kind: 'password', subject }])).toBe(60);
    }
  });

  it('slows failures of one credential from all sources past the threshold, reports it once, and caps the delay', async () => {
    const { limiter, events } = await make({ max: 100, slowdownAfter: 2, slowdownMs: 1, slowdownMaxMs: 3 });
    const credential = { kind: 'password', subject: unique('dave') } as const;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) delays.push((await limiter.fail(unique('src'), credential)).delayMs);
    expect(delays).toEqual([0, 0, 1, 2, 3, 3, 3]);
    expect(events.filter((e) => e.type === 'credential_guessing')).toEqual([{ type: 'credential_guessing', kind: 'password', subject: credential.subject, failures: 3 }]);
  });

  it('answers a spraying source 429 on failures past sourceMax, and counts secrets for unknown clients against the source only', async () => {
    const { limiter, events } = await make({ sourceMax: 4 });
    const source = unique('spray');
    const outcomes: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) outcomes.push((await limiter.fail(source, { kind: 'password', subject: unique('u') })).retryAfter);
    for (let i = 0; i < 3; i++) outcomes.push((await limiter.fail(source, { kind: 'client_secret' })).retryAfter);
    expect(outcomes).toEqual([undefined, undefined, undefined, undefined, 60, 60]);
    expect(events.filter((e) => e.type === 'throttled' && e.reason === 'spraying')).toHaveLength(2);
    // Spraying never refuses before the check: a correct credential is still admitted.
    expect(await limiter.admit(source, [{ kind: 'password', subject: unique('v') }])).toBeUndefined();
  });

  it('has no lockout by default; when configured it locks the credential for every source for lockoutSeconds', async () => {
    const off = await make({ max: 100 });
    const name = { kind: 'password', subject: unique('erin') } as const;
    for (let i = 0; i < 20; i++) await off.limiter.fail(unique('s'), name);
    expect(await off.limiter.admit(unique('owner'), [name])).toBeUndefined();

    const on = await make({ max: 100, lockoutThreshold: 5, lockoutSeconds: 120 });
    for (let i = 0; i < 5; i++) await on.limiter.fail(unique('s'), name);
    expect(on.events.filter((e) => e.type === 'credential_locked')).toHaveLength(1);
    expect(await on.limiter.admit(unique('owner'), [name])).toBe(120);
    on.clock.advance(120);
    expect(await on.limiter.admit(unique('owner'), [name])).toBeUndefined();
  });

  it('forgets old failures in batches of at most the limit, and keeps those inside the window', async () => {
    const store = await open();
    const key = `client:old-${Math.random()}`;
    for (let i = 1; i <= 25; i++) await store.record([key], i); // long ago
    await store.record([key], Date.now());
    const batches: unknown[] = [];
    for (let i = 0; i < 5; i++) batches.push(await store.prune(100, 10));
    expect(batches).toEqual([10, 10, 5, 0, 0]);
    expect((await store.count([key], 0)).get(key)?.count).toBe(1);
  });

  it('shares its state between two limiters on one store (two server instances)', async () => {
    const clock = testClock();
    const store = await open();
    const a = new RateLimiter(store, { max: 2, windowSeconds: 60, clock, slowdownMs: 0 });
    const b = new RateLimiter(store, { max: 2, windowSeconds: 60, clock, slowdownMs: 0 });
    const credential = { kind: 'client_secret', subject: unique('shared') } as const;
    await a.fail('10.0.0.1', credential);
    await b.fail('10.0.0.1', credential);
    expect(await a.admit('10.0.0.1', [credential])).toBeGreaterThan(0);
    expect(await b.admit('10.0.0.1', [credential])).toBeGreaterThan(0);
  });
});

it.each([{ max: 0 }, { sourceMax: 0 }, { lockoutThreshold: -1 }, { windowSeconds: 0 }, { slowdownMs: 1.5 }])('refuses a bad configuration %j with a TypeError', (bad) => {
  expect(() => new RateLimiter(new MemoryRateLimitStore(), { max: 1, windowSeconds: 1, clock: testClock(), ...bad })).toThrow(TypeError);
});
