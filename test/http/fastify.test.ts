import { describeAdapter } from './adapter-suite.js';
import { startFastify } from './mounts.js';

describeAdapter('Fastify 5', startFastify);
