/**
 * SIGINT and SIGTERM for the long-running commands (`run`, `serve`), caught from the moment the CLI
 * starts. Loading the code and starting flows takes seconds on a busy machine (12 s measured under
 * load); a signal then used to kill the process by default — flows half started, nothing confirmed,
 * no exit code. Now a signal that comes before the command is ready to stop is kept, and handed to
 * the command as soon as it listens; a second one while still loading quits at once, like a second
 * Ctrl-C does later.
 */

export type StopListener = (signal: NodeJS.Signals, count: number) => void;

let caught = false;
let count = 0;
let listener: StopListener | null = null;
const early: NodeJS.Signals[] = [];

function onSignal(signal: NodeJS.Signals): void {
  count++;
  if (listener !== null) return listener(signal, count);
  if (count > 1) process.exit(130);
  early.push(signal);
}

/** Starts catching SIGINT and SIGTERM (once; later calls do nothing). */
export function catchStopSignals(): void {
  if (caught) return;
  caught = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Hands every SIGINT and SIGTERM to `handle`, with how many came so far: first the ones caught
 * before (at once, in order), then each as it comes. Starts catching them if nothing did yet.
 *
 * @example
 * onStopSignal((signal, count) => (count === 1 ? void run.stop() : process.exit(130)));
 */
export function onStopSignal(handle: StopListener): void {
  catchStopSignals();
  listener = handle;
  early.splice(0).forEach((signal, i) => handle(signal, i + 1));
}
