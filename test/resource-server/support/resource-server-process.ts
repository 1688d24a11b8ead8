// A resource server in its own process: it knows the issuer, its audience and the JWKS URL, nothing else.
// Reads a JSON array of access tokens on stdin; writes one JSON result per token on stdout.
import { toOAuthError } from '../../../src/contracts/oauth-error.js';
import { ResourceServer } from '../../../src/core/resource-server.js';

const { JWKS_URL, ISSUER, AUDIENCE } = process.env;
if (!JWKS_URL || !ISSUER || !AUDIENCE) throw new Error('JWKS_URL, ISSUER and AUDIENCE are required');
const rs = new ResourceServer({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URL });

let input = '';
for await (const chunk of process.stdin) input += String(chunk);
const results = [];
for (const token of JSON.parse(input) as string[]) {
  const request = new Request('http://127.0.0.1/api', { headers: { authorization: `Bearer ${token}` } });
  try {
    const claims = await rs.validateAuthenticatedRequest(request);
    results.push({ ok: true, sub: claims.sub, scope: claims.scope });
  } catch (error) {
    const response = toOAuthError(error).toResponse();
    results.push({ ok: false, status: response.status, challenge: response.headers.get('www-authenticate') });
  }
}
process.stdout.write(JSON.stringify(results));
