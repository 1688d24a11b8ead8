export * from './sqlite-storage.js';
export * from './sqlite-migrations.js';
export * from './sqlite-admin.js';
export * from './sqlite-token-repositories.js';
export * from '../storage-admin.js';
export * from '../managed-storage.js';
export * from '../session-repository.js';
export * from './sqlite-session-repository.js';
