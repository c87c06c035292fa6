/**
 * SIGINT/SIGTERM for a fleet run, as a cancelled CI job sends them (GitHub:
 * SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that; Ctrl-C twice).
 *
 * - the first signal aborts `signal`: no new host starts, the hosts already
 *   switching finish, the switched hosts go back (FleetRun);
 * - the second aborts `hurry`: no more waiting for hosts still switching;
 *   the handlers are then removed, so a third signal ends the process the
 *   default way.
 *
 * Call `dispose` when the run is over.
 */
export interface Interrupt {
  signal: AbortSignal;
  hurry: AbortSignal;
  dispose(): void;
}

export function interruptSignals(proc: Pick<NodeJS.Process, 'on' | 'removeListener'> = process): Interrupt {
  const first = new AbortController();
  const second = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    if (!first.signal.aborted) {
      first.abort(new Error(`interrupted by ${sig}`));
      return;
    }
    second.abort(new Error(`interrupted again by ${sig}`));
    dispose();
  };
  const dispose = () => {
    proc.removeListener('SIGINT', on);
    proc.removeListener('SIGTERM', on);
  };
  proc.on('SIGINT', on);
  proc.on('SIGTERM', on);
  return { signal: first.signal, hurry: second.signal, dispose };
}
