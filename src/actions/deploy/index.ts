/** Runs the deploy action: ncc bundles this file into dist/deploy/index.js (action.yml's main). */
import { run } from './main';

void run();
