import { describeAdapter, describeEndpoints } from './adapter-suite.js';
import { startHono, startHonoAll } from './mounts.js';

describeAdapter('Hono', startHono);
describeAdapter('Hono, mounted with every endpoint', startHonoAll);
describeEndpoints('Hono', startHonoAll);
