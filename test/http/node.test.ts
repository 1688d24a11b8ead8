import { describeAdapter, describeEndpoints } from './adapter-suite.js';
import { startNode, startNodeAll } from './mounts.js';

describeAdapter('node:http', startNode);
describeAdapter('node:http, mounted with every endpoint', startNodeAll);
describeEndpoints('node:http', startNodeAll);
