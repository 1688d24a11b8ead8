// Constants shared by the orchestrator and every server child: one confidential client, scopes `read write`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';

export const ISSUER = 'http://127.0.0.1';
export const AUDIENCE = 'urn:bench:api';
export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-secret-3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f';
export const SCOPE = 'read write';
export const BASIC = 'Basic ' + Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');

/** The key pair of an algorithm, as KeyObjects and PEM text, from the directory the orchestrator wrote. */
export function loadKeys(dir, alg) {
  const file = alg === 'EdDSA' ? 'ed25519.pem' : 'rsa.pem';
  const pem = readFileSync(join(dir, file), 'utf8');
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { pem, privateKey, publicKey, alg };
}

/** Reads a whole request body into one Buffer. */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export const JSON_NO_STORE = { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', pragma: 'no-cache' };
