import { describeAdapter, describeEndpoints } from './adapter-suite.js';
import { startExpress, startExpressAll } from './mounts.js';

describeAdapter('Express 5', startExpress);
describeAdapter('Express 5, mounted with every endpoint', startExpressAll);
describeEndpoints('Express 5', startExpressAll);
