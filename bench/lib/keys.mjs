// One RSA 2048 and one Ed25519 key per benchmark run, shared by the floor, grantry and the peers.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeKeys(dir) {
  mkdirSync(dir, { recursive: true });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'rsa.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'ed25519.pem'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return dir;
}
