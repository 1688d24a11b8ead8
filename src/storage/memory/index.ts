// grantry/storage/memory: in-process storage for tests, development and single-instance servers. The contracts it
// implements (Storage, ManagedStorage, the repositories) are exported by the root, `grantry`.
export { MemoryStorage, createMemoryStorage, type MemoryStorageOptions, type MemoryStorageSeed } from './memory-storage.js';
export {
  MemoryClientRepository,
  MemoryResourceRepository,
  MemoryScopeRepository,
  MemoryStorageAdmin,
  MemoryUserRepository,
  type MemoryGrantRecords,
  type MemoryUser,
} from './memory-repositories.js';
export {
  MemoryAccessTokenRepository,
  MemoryAuthCodeRepository,
  MemoryDeviceCodeRepository,
  MemoryFamilies,
  MemoryRefreshTokenRepository,
  MemorySessionRepository,
  type OnWrite,
} from './memory-token-repositories.js';
export { MemoryConsentRepository } from './memory-consent-repository.js';
export { MemoryClientRegistrationRepository, MemoryInitialAccessTokenRepository } from './memory-registration-repositories.js';
export { MemoryReplayRepository } from './memory-replay-repository.js';
export { MemoryPushedRequestRepository } from './memory-pushed-request-repository.js';
