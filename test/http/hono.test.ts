import { describeAdapter } from './adapter-suite.js';
import { startHono } from './mounts.js';

describeAdapter('Hono', startHono);
