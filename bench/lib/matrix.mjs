// Every server the benchmark starts: the floor, grantry (storage × algorithm × HTTP layer) and the peers. The order
// is the order of each round: servers compared with each other run next to each other.
//
// Every server runs at 32 connections. At 1 and 64 connections only what the targets compare runs (`everyCount`:
// the workloads measured at every connection count): the bare node:http floors and grantry in memory, the revocation
// lookup variant of W3, and W2 on SQLite and PostgreSQL. The peers, Express and the opaque row run at 32 only.
export function serverMatrix({ databaseUrl }) {
  const list = [];
  const add = (s) => list.push({ ...s, name: [s.impl, s.variant, s.framework].filter(Boolean).join(' · ') });
  const ALL = ['W1', 'W2', 'W3', 'W4'];
  const grantry = (framework, alg, storage) =>
    add({
      group: 'grantry',
      impl: 'grantry',
      variant: `${alg} ${storage}`,
      framework,
      alg,
      storage,
      databaseUrl,
      format: 'jwt',
      // W3 without the revocation lookup does not touch storage: measured once, in memory.
      ...(storage === 'memory' ? {} : { workloads: ['W1', 'W2', 'W4'] }),
      everyCount: framework !== 'node' ? [] : storage === 'memory' ? ALL : ['W2'],
    });
  for (const framework of ['node', 'express']) {
    const storages = framework === 'node' ? ['memory', 'sqlite', 'postgres'] : ['memory'];
    const node = framework === 'node';
    add({ group: 'floor', impl: 'floor', variant: 'RS256', framework, alg: 'RS256', format: 'jwt', everyCount: node ? ALL : [] });
    for (const storage of storages) grantry(framework, 'RS256', storage);
    if (node) {
      // The resource server as forAuthorizationServer() sets it up by default: with the revocation lookup.
      add({ group: 'grantry', impl: 'grantry', variant: 'RS256 memory, W3 with revocation lookup', framework, alg: 'RS256', storage: 'memory', format: 'jwt', checkRevocation: true, workloads: ['W3'], everyCount: ['W3'] });
      // The Fetch-API twin on node:http (toNodeHandler(withBearerToken(...))): what a Request/Response per call costs.
      add({ group: 'grantry', impl: 'grantry', variant: 'RS256 memory, W3 through withBearerToken', framework, alg: 'RS256', storage: 'memory', format: 'jwt', bearer: 'fetch', workloads: ['W3'] });
    }
    add({ group: 'peer', impl: 'oidc-provider', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    add({ group: 'peer', impl: 'jmondi', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    add({ group: 'floor', impl: 'floor', variant: 'EdDSA', framework, alg: 'EdDSA', format: 'jwt', everyCount: node ? ALL : [] });
    for (const storage of storages) grantry(framework, 'EdDSA', storage);
    add({ group: 'floor', impl: 'floor', variant: 'opaque', framework, format: 'opaque', workloads: ['W1', 'W2'] });
    if (node) {
      // Opaque access tokens (`accessTokenFormat: 'opaque'`): skipped with a note by a tree that does not offer them.
      add({ group: 'grantry', impl: 'grantry', variant: 'opaque memory', framework, alg: 'EdDSA', storage: 'memory', databaseUrl, format: 'opaque', workloads: ['W1', 'W2', 'W4'] });
    }
    add({ group: 'peer', impl: 'node-oauth', variant: 'opaque', framework, format: 'opaque' });
    add({ group: 'peer', impl: 'oidc-provider', variant: 'opaque', framework, format: 'opaque' });
  }
  return list;
}

/** Whether a server runs a workload at a connection count (see above). */
export const runsAt = (spec, workload, connections) => connections === 32 || (spec.everyCount ?? []).includes(workload);

/** The token format a figure is compared within: `jwt RS256`, `jwt EdDSA` or `opaque`. */
export const formatOf = (spec) => (spec.format === 'opaque' ? 'opaque' : `jwt ${spec.alg}`);
