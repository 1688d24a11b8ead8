import type { AuthorizationServer } from '../core/authorization-server.js';
import type { User } from '../core/types.js';
import type { AuthorizationRequest } from '../grants/authorization-request.js';

/**
 * The endpoint methods of {@link AuthorizationServer} the ready server routes to. Each is looked up at run time,
 * so that the server offers exactly what the library provides (a missing one answers 404).
 */
export interface OAuthEndpoints {
  validateAuthorizationRequest(request: Request): Promise<AuthorizationRequest>;
  findDeviceAuthorization(userCode: string): Promise<{ userCode: string; clientId: string; clientName: string; scopes: readonly string[]; expiresAt: number } | undefined>;
  completeDeviceAuthorization(userCode: string, decision: { user: User | undefined; approved: boolean }): Promise<boolean>;
  completeAuthorizationRequest(authRequest: AuthorizationRequest, decision: { user: User | undefined; approved: boolean }): Promise<Response>;
  handleRevocationRequest(request: Request): Promise<Response>;
  handleIntrospectionRequest(request: Request): Promise<Response>;
  handleDeviceAuthorizationRequest(request: Request): Promise<Response>;
  handleMetadataRequest(request: Request): Promise<Response>;
  handleJwksRequest(request: Request): Promise<Response>;
}

/** The endpoint methods the server has. */
export function endpointsOf(server: AuthorizationServer): Partial<OAuthEndpoints> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the methods land in the library one by one
  return server as unknown as Partial<OAuthEndpoints>;
}
