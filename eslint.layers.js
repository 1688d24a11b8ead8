// @ts-check
/**
 * The floors of src/ (ARCHITECTURE.md "Layers"): a folder imports only the folders below it.
 * tokens → contracts → grants | storage → core → http → server → cli.
 */
export const layers = {
  tokens: ['contracts', 'grants', 'storage', 'core', 'http', 'server', 'cli'],
  contracts: ['grants', 'storage', 'core', 'http', 'server', 'cli'],
  grants: ['storage', 'core', 'http', 'server', 'cli'],
  storage: ['grants', 'core', 'http', 'server', 'cli'],
  core: ['storage', 'http', 'server', 'cli'],
  http: ['grants', 'storage', 'server', 'cli'],
  server: ['cli'],
};
export const layerRules = Object.entries(layers).map(([folder, above]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [{
        regex: `^(\\.\\./)+(${above.join('|')})(/|$)`,
        message: `src/${folder} sits below ${above.join(', ')}: imports point down the floors (ARCHITECTURE.md "Layers").`,
      }],
    }],
  },
}));
