import { describeAdapter, describeEndpoints } from './adapter-suite.js';
import { startFastify, startFastifyAll } from './mounts.js';

describeAdapter('Fastify 5', startFastify);
describeAdapter('Fastify 5, mounted with every endpoint', startFastifyAll);
describeEndpoints('Fastify 5', startFastifyAll);
