// Imported the way users import it: the package's own subpaths.
import { describeStorageConformance } from 'grantry/storage/conformance';
import { createMemoryStorage } from 'grantry/storage/memory';

describeStorageConformance('memory', () => createMemoryStorage());
