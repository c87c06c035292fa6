/** Runs the preview action: ncc bundles this file into dist/preview/index.js (action.yml's main). */
import { run } from './main';

void run();
