/** Runs the rollback action: ncc bundles this file into dist/rollback/index.js (action.yml's main). */
import { run } from './main';

void run();
