import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, RateLimiter, type RateLimitStore } from '../../src/server/rate-limiter.js';
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

describe.each(stores)('RateLimiter on %s', (_name, open) => {
  it('refuses after max failures per key with the seconds until the oldest leaves the window, then lets the owner back in', async () => {
    const clock = testClock();
    const limiter = new RateLimiter(await open(), { max: 3, windowSeconds: 60, clock });
    const key = [`client:a-${Math.random()}`];
    for (let i = 0; i < 3; i++) {
      expect(await limiter.retryAfter(key)).toBeUndefined();
      await limiter.fail(key);
      clock.advance(10);
    }
    expect(await limiter.retryAfter(key)).toBe(30);
    clock.advance(29);
    expect(await limiter.retryAfter(key)).toBe(1);
    clock.advance(1);
    // The oldest failure left the sliding window: one more attempt is allowed.
    expect(await limiter.retryAfter(key)).toBeUndefined();
  });

  it('counts keys made of client input with control characters (a NUL username) without a storage error', async () => {
    const clock = testClock();
    const limiter = new RateLimiter(await open(), { max: 2, windowSeconds: 60, clock, slowdownMs: 0 });
    const key = [`user:ali\u0000ce\u0007-${Math.random()}`];
    await limiter.fail(key);
    await limiter.fail(key);
    expect(await limiter.retryAfter(key)).toBe(60);
  });

  it('slows failures past half the limit, 100 ms more each, before refusing', async () => {
    const limiter = new RateLimiter(await open(), { max: 6, windowSeconds: 60, clock: testClock(), slowdownMs: 1 });
    const key = [`client:s-${Math.random()}`];
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) delays.push(await limiter.fail(key));
    expect(delays).toEqual([0, 0, 0, 1, 2, 3]);
  });

  it('keeps keys apart, and gives source addresses five times the limit', async () => {
    const clock = testClock();
    const limiter = new RateLimiter(await open(), { max: 2, windowSeconds: 60, clock });
    const id = Math.random();
    for (let i = 0; i < 2; i++) await limiter.fail([`client:x${id}`, `ip:${id}`]);
    expect(await limiter.retryAfter([`client:x${id}`])).toBeGreaterThan(0);
    expect(await limiter.retryAfter([`client:y${id}`])).toBeUndefined();
    expect(await limiter.retryAfter([`ip:${id}`])).toBeUndefined();
    for (let i = 0; i < 8; i++) await limiter.fail([`ip:${id}`]);
    expect(await limiter.retryAfter([`client:y${id}`, `ip:${id}`])).toBeGreaterThan(0);
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
    const a = new RateLimiter(store, { max: 2, windowSeconds: 60, clock });
    const b = new RateLimiter(store, { max: 2, windowSeconds: 60, clock });
    const key = [`user:${Math.random()}`];
    await a.fail(key);
    await b.fail(key);
    expect(await a.retryAfter(key)).toBeGreaterThan(0);
    expect(await b.retryAfter(key)).toBeGreaterThan(0);
  });
});

it('refuses a bad configuration with a TypeError', () => {
  expect(() => new RateLimiter(new MemoryRateLimitStore(), { max: 0, windowSeconds: 1, clock: testClock() })).toThrow(TypeError);
});
