export * from './sqlite-storage.js';
export * from '../storage-unavailable.js';
export * from './sqlite-migrations.js';
export * from './sqlite-admin.js';
export * from './sqlite-token-repositories.js';
export * from '../storage-admin.js';
export * from '../managed-storage.js';
