// Every server the benchmark starts: the floor, grantry (storage × algorithm × HTTP layer) and the peers.
export function serverMatrix({ databaseUrl }) {
  const list = [];
  const add = (s) => list.push({ ...s, name: [s.impl, s.variant, s.framework].filter(Boolean).join(' · ') });

  for (const framework of ['node', 'express']) {
    add({ group: 'floor', impl: 'floor', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    add({ group: 'floor', impl: 'floor', variant: 'EdDSA', framework, alg: 'EdDSA', format: 'jwt' });
    add({ group: 'floor', impl: 'floor', variant: 'opaque', framework, format: 'opaque', workloads: ['W1', 'W2'] });
  }
  for (const framework of ['node', 'express']) {
    for (const alg of ['RS256', 'EdDSA']) add({ group: 'grantry', impl: 'grantry', variant: `${alg} memory`, framework, alg, storage: 'memory', format: 'jwt' });
  }
  for (const storage of ['sqlite', 'postgres']) {
    for (const alg of ['RS256', 'EdDSA']) {
      add({ group: 'grantry', impl: 'grantry', variant: `${alg} ${storage}`, framework: 'node', alg, storage, databaseUrl, format: 'jwt', workloads: ['W1', 'W2', 'W4'] });
    }
  }
  for (const framework of ['node', 'express']) {
    add({ group: 'peer', impl: 'jmondi', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
    add({ group: 'peer', impl: 'node-oauth', variant: 'opaque', framework, format: 'opaque' });
    add({ group: 'peer', impl: 'oidc-provider', variant: 'opaque', framework, format: 'opaque' });
    add({ group: 'peer', impl: 'oidc-provider', variant: 'RS256', framework, alg: 'RS256', format: 'jwt' });
  }
  return list;
}

/** The token format a figure is compared within: `jwt RS256`, `jwt EdDSA` or `opaque`. */
export const formatOf = (spec) => (spec.format === 'opaque' ? 'opaque' : `jwt ${spec.alg}`);
