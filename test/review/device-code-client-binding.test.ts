import { describe, expect, it } from 'vitest';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { ISSUER, tokenRequest } from '../support/fixtures.js';
import { engines, serverOver } from './engines.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER = { id: 'user-1' };

/** The device grant on a storage engine, with two public device clients: `tv` and `intruder`. */
async function setup(open: () => Promise<ManagedStorage>) {
  const storage = await open();
  for (const id of ['tv', 'intruder']) {
    await storage.admin.createClient({ id, name: id, redirectUris: [], grantTypes: [DEVICE_GRANT], scopes: [] });
  }
  await storage.admin.addScope({ id: 'read' });
  const { server, clock } = serverOver(storage);
  server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes), 'PT1H');
  const res = await server.handleDeviceAuthorizationRequest(tokenRequest({ client_id: 'tv', scope: 'read' }, {}, `${ISSUER}/device_authorization`));
  const body = (await res.json()) as { device_code: string; user_code: string };
  const poll = (clientId: string) =>
    server.handleTokenRequest(tokenRequest({ grant_type: DEVICE_GRANT, device_code: body.device_code, client_id: clientId }));
  return { server, clock, body, poll };
}

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe.each(engines)('device code bound to its client on $name (RFC 8628 §3.4, RFC 6749 §5.2)', ({ skip, open }) => {
  it.skipIf(skip !== undefined)('a poll by another client is invalid_grant and does not consume the approved device code', async () => {
    const { server, clock, body, poll } = await setup(open);
    await server.completeDeviceAuthorization(body.user_code, { user: USER, approved: true });
    clock.advance(10);
    const stranger = await poll('intruder');
    expect(stranger.status).toBe(400);
    expect(await errorOf(stranger)).toBe('invalid_grant');
    clock.advance(10);
    const own = await poll('tv');
    expect(own.status).toBe(200);
    expect(((await own.json()) as { access_token?: string }).access_token).toBeTypeOf('string');
  });

  it.skipIf(skip !== undefined)('a poll by another client does not count against the device: no slow_down, interval unchanged', async () => {
    const { clock, poll } = await setup(open);
    clock.advance(10);
    expect(await errorOf(await poll('tv'))).toBe('authorization_pending');
    clock.advance(10);
    expect(await errorOf(await poll('intruder'))).toBe('invalid_grant');
    // 1 s after the stranger but 10 s after its own last poll: the device is within its 5 s interval.
    clock.advance(1);
    expect(await errorOf(await poll('tv'))).toBe('authorization_pending');
  });
});
