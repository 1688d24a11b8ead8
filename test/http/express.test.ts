import { describeAdapter } from './adapter-suite.js';
import { startExpress } from './mounts.js';

describeAdapter('Express 5', startExpress);
