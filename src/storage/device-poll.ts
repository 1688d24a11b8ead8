import type { DeviceCodeRecord, DevicePollResult } from '../contracts/repositories.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * The state change of one poll of a device code at `now` (RFC 8628 §3.5), shared by every engine so that they
 * agree: the engine reads the record, applies this and writes `next` back atomically.
 *
 * @example
 * ```ts
 * const { next, result } = pollDeviceCode(record, now);
 * save(next); return result;
 * ```
 */
export function pollDeviceCode(
  record: DeviceCodeRecord,
  now: number,
  clientId?: string,
): { next: DeviceCodeRecord; result: DevicePollResult } {
  // RFC 8628 §3.4 / RFC 6749 §5.2: another client's poll is as if the code did not exist; it changes nothing.
  if (clientId !== undefined && clientId !== record.clientId) return { next: record, result: { status: 'not_found' } };
  const expired = record.expiresAt <= now;
  // RFC 8628 §3.5 slow_down: "the interval MUST be increased by 5 seconds for this and all subsequent requests".
  const tooSoon = record.lastPolledAt !== undefined && now - record.lastPolledAt < secondsToMs(record.interval);
  const next: DeviceCodeRecord = {
    ...record,
    lastPolledAt: now,
    interval: tooSoon && record.status === 'pending' && !expired ? record.interval + 5 : record.interval,
    status: record.status === 'approved' && !expired ? 'consumed' : record.status,
  };
  if (expired && record.status !== 'consumed') return { next, result: { status: 'expired', record: next } };
  if (record.status === 'pending') return { next, result: { status: tooSoon ? 'slow_down' : 'pending', record: next } };
  return { next, result: { status: record.status, record: next } };
}
