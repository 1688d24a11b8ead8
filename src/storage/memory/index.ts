export * from './memory-storage.js';
export * from './memory-repositories.js';
export * from './memory-token-repositories.js';
export * from '../storage-admin.js';
export * from '../managed-storage.js';
export * from '../session-repository.js';
export * from '../consent-repository.js';
export * from './memory-consent-repository.js';
