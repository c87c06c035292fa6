/** Runs the build-push action: ncc bundles this file into dist/build-push/index.js (action.yml's main). */
import { run } from './main';

void run();
