import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRandomPool } from '../../src/tokens/crypto/random-pool.js';

describe('createRandomPool', () => {
  it('hands out fresh copies that never overlap, and refills when the pool runs out', () => {
    let fills = 0;
    const randomBytes = createRandomPool((buffer) => {
      fills++;
      randomFillSync(buffer);
    }, 64);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const bytes = randomBytes(16);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBe(16);
      const hex = Buffer.from(bytes).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
    // 64 bytes hold four draws of 16: 40 draws need ten fills.
    expect(fills).toBe(10);
  });

  it('keeps nothing it handed out: the drawn bytes are zeroed in the pool, and a copy does not alias it', () => {
    let pool: Uint8Array | undefined;
    const randomBytes = createRandomPool((buffer) => {
      pool = buffer;
      buffer.fill(0xab);
    }, 64);
    const first = randomBytes(8);
    expect([...first]).toEqual(new Array(8).fill(0xab));
    expect([...pool!.subarray(0, 8)]).toEqual(new Array(8).fill(0));
    expect([...pool!.subarray(8, 16)]).toEqual(new Array(8).fill(0xab));
    first.fill(1);
    expect(randomBytes(8)[0]).toBe(0xab);
  });

  it('draws a large request from the generator directly, and refuses a length that is not a byte count', () => {
    const sizes: number[] = [];
    const randomBytes = createRandomPool((buffer) => {
      sizes.push(buffer.length);
      randomFillSync(buffer);
    }, 64);
    expect(randomBytes(32).length).toBe(32);
    expect(sizes).toEqual([32]);
    expect(randomBytes(0).length).toBe(0);
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomBytes(1.5)).toThrow(RangeError);
  });
});
