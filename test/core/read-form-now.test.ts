import { describe, expect, it } from 'vitest';
import { readForm, readFormNow } from '../../src/contracts/form.js';
import { OAuthError } from '../../src/contracts/oauth-error.js';
import { PlainRequest } from '../../src/contracts/plain-request.js';

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] ?? null });
const plain = (body: string, type = 'application/x-www-form-urlencoded') =>
  new PlainRequest('POST', 'https://as.example/token', headers({ 'content-type': type }), new TextEncoder().encode(body));

describe('readFormNow (the token endpoint reads a plain request without a promise)', () => {
  it('returns the parameters of a plain request at once, and readForm later answers the same parameters', async () => {
    const request = plain('grant_type=client_credentials&scope=read%20write');
    const params = readFormNow(request);
    expect(params).not.toBeInstanceOf(Promise);
    expect((params as ReadonlyMap<string, string>).get('scope')).toBe('read write');
    expect(await readForm(request)).toBe(params);
  });

  it('throws the same OAuth error as readForm rejects with, and remembers it', async () => {
    const repeated = plain('grant_type=a&grant_type=b');
    expect(() => readFormNow(repeated)).toThrow(OAuthError);
    await expect(readForm(repeated)).rejects.toMatchObject({ code: 'invalid_request' });
    const json = plain('{}', 'application/json');
    expect(() => readFormNow(json)).toThrow(/x-www-form-urlencoded/);
  });

  it('hands a Fetch Request to readForm (a promise)', async () => {
    const request = new Request('https://as.example/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    const form = readFormNow(request);
    expect(form).toBeInstanceOf(Promise);
    expect((await form).get('a')).toBe('1');
  });
});
