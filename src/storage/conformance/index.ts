// grantry/storage/conformance: the vitest suite every storage engine passes, for third-party engines.
export { describeStorageConformance, type ConformanceOptions } from './describe-storage-conformance.js';
export type { ConformanceContext, ConformanceStorage } from './conformance-context.js';
