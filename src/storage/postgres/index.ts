export * from './postgres-storage.js';
export * from './postgres-pool.js';
export * from '../storage-unavailable.js';
export * from './postgres-migrations.js';
export * from './postgres-admin.js';
export * from './postgres-token-repositories.js';
export * from '../storage-admin.js';
export * from '../managed-storage.js';
