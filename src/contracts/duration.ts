const ISO = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * A lifetime: seconds as a number, or an ISO 8601 duration such as `'PT1H'` or `'P1M'`.
 *
 * @example
 * ```ts
 * server.enableGrantType(new RefreshTokenGrant(refreshTokens), 'PT15M'); // or 900
 * ```
 */
export type Duration = number | string;

/**
 * Converts a {@link Duration} to whole seconds. Months count as 30 days and years as 365, as league's
 * `DateInterval` does for token lifetimes. Throws a `TypeError` for anything else (a configuration mistake).
 *
 * @example
 * ```ts
 * toSeconds('PT1H'); // 3600
 * toSeconds('P1M');  // 2592000
 * toSeconds(90);     // 90
 * ```
 */
export function toSeconds(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration <= 0) throw new TypeError(`Invalid duration: ${duration}`);
    return Math.floor(duration);
  }
  if (/^\d+$/.test(duration)) return toSeconds(Number(duration));
  const m = ISO.exec(duration);
  if (!m) throw new TypeError(`Invalid ISO 8601 duration: ${JSON.stringify(duration)}`);
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v): number => (v === undefined ? 0 : Number(v)));
  const total = y! * 31_536_000 + mo! * 2_592_000 + w! * 604_800 + d! * 86_400 + h! * 3600 + mi! * 60 + s!;
  if (total <= 0) throw new TypeError(`Invalid duration: ${duration}`);
  return total;
}
