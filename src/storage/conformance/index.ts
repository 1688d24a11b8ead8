export * from './describe-storage-conformance.js';
export type { ConformanceContext, ConformanceStorage } from './conformance-context.js';
