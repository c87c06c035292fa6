/** SIGINT/SIGTERM as a cancelled CI job sends them (src/fleet/interrupt.ts), over a real EventEmitter standing in for `process`. */
import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { interruptSignals } from '../../src/fleet/interrupt';

it('first signal: signal; second: hurry, and the handlers are gone so a third ends the process the default way', () => {
  const proc = new EventEmitter();
  const i = interruptSignals(proc as unknown as NodeJS.Process);
  expect([i.signal.aborted, i.hurry.aborted]).toEqual([false, false]);
  proc.emit('SIGINT', 'SIGINT');
  expect([i.signal.aborted, i.hurry.aborted]).toEqual([true, false]);
  expect((i.signal.reason as Error).message).toBe('interrupted by SIGINT');
  proc.emit('SIGTERM', 'SIGTERM');
  expect([i.signal.aborted, i.hurry.aborted]).toEqual([true, true]);
  expect([proc.listenerCount('SIGINT'), proc.listenerCount('SIGTERM')]).toEqual([0, 0]);
});

it('dispose removes the handlers', () => {
  const proc = new EventEmitter();
  interruptSignals(proc as unknown as NodeJS.Process).dispose();
  expect([proc.listenerCount('SIGINT'), proc.listenerCount('SIGTERM')]).toEqual([0, 0]);
});
