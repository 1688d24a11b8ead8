// Raw signature operations per second on one core (no HTTP): the ceiling of any server signing one JWT a request.
// Usage: node raw-ops.mjs KEYS_DIR SECONDS  → prints JSON.
import { sign, verify } from 'node:crypto';
import { loadKeys } from './shared.mjs';

const [dir, seconds = '1'] = process.argv.slice(2);
const input = Buffer.from('x'.repeat(360)); // about the signing input of an RFC 9068 access token
const out = {};
for (const alg of ['RS256', 'EdDSA']) {
  const { privateKey, publicKey } = loadKeys(dir, alg);
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const signature = sign(digest, input, privateKey);
  const rate = (fn) => {
    for (let i = 0; i < 200; i++) fn(); // warm-up
    const until = performance.now() + Number(seconds) * 1000;
    let n = 0;
    const t0 = performance.now();
    while (performance.now() < until) {
      fn();
      n++;
    }
    return Math.round(n / ((performance.now() - t0) / 1000));
  };
  out[alg] = { sign: rate(() => sign(digest, input, privateKey)), verify: rate(() => verify(digest, input, publicKey, signature)) };
}
process.stdout.write(JSON.stringify(out));
