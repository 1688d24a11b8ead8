import { AuthorizationServer, OAuthError, RefreshTokenGrant } from 'grantry';
import { createMemoryStorage } from 'grantry/storage/memory';

// Init our repositories
const storage = createMemoryStorage();
const clientRepository = storage.clients;
const accessTokenRepository = storage.accessTokens;
const scopeRepository = storage.scopes;
const refreshTokenRepository = storage.refreshTokens;

// Path to the private key (PEM text, { pem, passphrase }, a JWK or a KeyObject work too)
const privateKey = process.env.GRANTRY_PRIVATE_KEY ?? 'file://path/to/private.key';
// A 32-byte key, base64-encoded, e.g. from `openssl rand -base64 32`
const encryptionKey = process.env.GRANTRY_ENCRYPTION_KEY ?? '';

// Setup the authorization server
export const server = new AuthorizationServer({
  clients: clientRepository,
  accessTokens: accessTokenRepository,
  scopes: scopeRepository,
  privateKey,
  encryptionKey,
  issuer: 'https://auth.example.com',
});

// Enable the refresh token grant on the server with a token TTL of 1 hour
server.enableGrantType(new RefreshTokenGrant(refreshTokenRepository), 'PT1H');

// Import the keys now: a missing key file or a bad key stops the start here, not at the first request
await server.ready();

// The token endpoint (league's /access_token): any Fetch-API framework (Hono, Bun.serve, Deno.serve, or an adapter)
export async function accessTokenEndpoint(request: Request): Promise<Response> {
  try {
    return await server.respondToAccessTokenRequest(request);
  } catch (error) {
    if (error instanceof OAuthError) return error.toResponse();
    // Unknown errors answer a bare server_error; the cause is for your logs, never for the client.
    console.error(error);
    return OAuthError.serverError(error).toResponse();
  }
}

export { storage };
