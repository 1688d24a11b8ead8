// Every server the benchmark starts: the floor, grantry (storage × algorithm × HTTP layer) and the peers. The order
// is the order of each round: servers compared with each other run next to each other.
export function serverMatrix({ databaseUrl }) {
  const list = [];
  const add = (s) => list.push({ ...s, name: [s.impl, s.variant, s.framework].filter(Boolean).join(' · ') });
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
    });
  for (const framework of ['node', 'express']) {
    const storages = framework === 'node' ? ['memory', 'sqlite', 'postgres'] : ['memory'];
    add({ group: 'floor', impl: 'floor', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    for (const storage of storages) grantry(framework, 'RS256', storage);
    if (framework === 'node') {
      // The resource server as forAuthorizationServer() sets it up by default: with the revocation lookup.
      add({ group: 'grantry', impl: 'grantry', variant: 'RS256 memory, W3 with revocation lookup', framework, alg: 'RS256', storage: 'memory', format: 'jwt', checkRevocation: true, workloads: ['W3'] });
    }
    add({ group: 'peer', impl: 'oidc-provider', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    add({ group: 'peer', impl: 'jmondi', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    add({ group: 'floor', impl: 'floor', variant: 'EdDSA', framework, alg: 'EdDSA', format: 'jwt' });
    for (const storage of storages) grantry(framework, 'EdDSA', storage);
    add({ group: 'floor', impl: 'floor', variant: 'opaque', framework, format: 'opaque', workloads: ['W1', 'W2'] });
    add({ group: 'peer', impl: 'node-oauth', variant: 'opaque', framework, format: 'opaque' });
    add({ group: 'peer', impl: 'oidc-provider', variant: 'opaque', framework, format: 'opaque' });
  }
  return list;
}

/** The token format a figure is compared within: `jwt RS256`, `jwt EdDSA` or `opaque`. */
export const formatOf = (spec) => (spec.format === 'opaque' ? 'opaque' : `jwt ${spec.alg}`);
