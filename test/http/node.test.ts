import { describeAdapter } from './adapter-suite.js';
import { startNode } from './mounts.js';

describeAdapter('node:http', startNode);
