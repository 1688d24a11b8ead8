import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, hiddenField } from './grantry-process.js';

export interface Metadata {
  issuer: string;
  token_endpoint: string;
  authorization_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  device_authorization_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
}

export const basicAuth = (id: string, secret: string): string =>
  'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');

/** A form POST, as a client sends to the token, revocation, introspection and device endpoints. */
export async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    redirect: 'manual',
  });
}

export async function discover(issuer: string): Promise<Metadata> {
  const response = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
  if (response.status !== 200) throw new Error(`metadata: ${response.status}`);
  return (await response.json()) as Metadata;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A browser-less user agent: follows the server's pages with a cookie jar. */
export class PageDriver {
  readonly jar = new CookieJar();
  constructor(readonly issuer: string) {}

  async get(url: string): Promise<Response> {
    const response = await fetch(new URL(url, this.issuer), { headers: { cookie: this.jar.header() }, redirect: 'manual' });
    this.jar.store(response);
    return response;
  }

  async post(url: string, params: Record<string, string>): Promise<Response> {
    const response = await fetch(new URL(url, this.issuer), {
      method: 'POST',
      headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      redirect: 'manual',
    });
    this.jar.store(response);
    return response;
  }

  /** Signs in through the login page, coming back to `returnTo`. */
  async login(username: string, password: string, returnTo = '/'): Promise<Response> {
    const form = await this.get(`/login?return_to=${encodeURIComponent(returnTo)}`);
    const html = await form.text();
    return this.post('/login', { csrf_token: hiddenField(html, 'csrf_token'), return_to: returnTo, username, password });
  }
}
