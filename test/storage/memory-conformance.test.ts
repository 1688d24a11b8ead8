import { describeStorageConformance } from '../../src/storage/conformance/index.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';

describeStorageConformance('memory', () => createMemoryStorage());
