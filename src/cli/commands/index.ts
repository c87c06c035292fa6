import type { Command } from '../command';
import { buildPushCommand } from './build-push';
import { previewCommand } from './preview';
import { deployCommand } from './deploy';
import { rollbackCommand } from './rollback';
import { releasesCommand, removeCommand, statusCommand } from './query';
import { lbConfigCommand } from './lb-config';
import { planCommand } from './plan';
import { setupCommand } from './setup';

/**
 * Every CLI command. Each lives in its own file in this folder; add yours
 * to this list (one import, one entry).
 */
export const COMMANDS: Command[] = [
  buildPushCommand,
  previewCommand,
  deployCommand,
  rollbackCommand,
  statusCommand,
  releasesCommand,
  removeCommand,
  lbConfigCommand,
  planCommand,
  setupCommand,
];
