/**
 * Worker threads for node tests. Each test gets a worker of its own, terminated when the test ends
 * (user code may hang, leak or leave timers behind: nothing of it outlives the test). Loading the
 * node types into a fresh worker takes 1–4 s, longer than most tests, so one worker is loaded ahead
 * and waits for the next test: the editor's test panel and its syntax check answer at once. The
 * spare is made when an editor opens (it asks for the node types) and after each test, and
 * dropped after a while unused.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NodeTestJob, NodeTestOutcome } from './node-test-protocol.js';

/** Loading the node types in a fresh worker, before the node's own time starts. */
const BOOT_TIMEOUT_MS = 30_000;
/** A spare nobody used for this long is terminated (it holds the node types: tens of MB). */
const SPARE_IDLE_MS = 5 * 60_000;

function workerScript(): URL {
  const beside = new URL('./node-test-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/http/node-test-worker.js', import.meta.url);
}

/** What a test that timed out was waiting for: the services its connections point at, if any. */
function timeoutMessage(job: NodeTestJob, timeoutMs: number): string {
  const stopped = `no result after ${timeoutMs} ms: the test was stopped`;
  const ids = Object.keys(job.connections ?? {});
  if (ids.length === 0) return stopped;
  const named = ids.map((id) => `"${id}"`).join(', ');
  return `${stopped}. It uses connection ${named}: is the service reachable from the runtime, and its timeouts shorter than ${timeoutMs} ms?`;
}

type WorkerNote = NodeTestOutcome | { ready: true };

/** A worker loading (or done loading) the node types, not yet given a job. */
class TestWorker {
  readonly worker = new Worker(workerScript(), { resourceLimits: { maxOldGenerationSizeMb: 128 } });
  /** Resolves true once loaded; false if it died first. */
  readonly ready: Promise<boolean>;
  private outcome: ((outcome: NodeTestOutcome) => void) | null = null;
  private ended: NodeTestOutcome | null = null;

  constructor() {
    this.ready = new Promise((resolve) => {
      this.worker.on('message', (note: WorkerNote) => {
        if ('ready' in note) resolve(true);
        else this.finish(note);
      });
      const failed = (message: string) => {
        resolve(false);
        this.finish({ kind: 'failed', message });
      };
      this.worker.once('error', (error) => failed(error.message));
      this.worker.once('exit', (code) => failed(`the test ended without a result (exit ${code})`));
    });
    // A waiting spare must not keep the process alive at shutdown.
    this.worker.unref();
  }

  /** Posts the job once loaded; resolves with its outcome or a timeout (the worker then goes). */
  run(job: NodeTestJob, timeoutMs: number): Promise<NodeTestOutcome> {
    return new Promise((resolve) => {
      let timer = setTimeout(
        () =>
          this.finish({
            kind: 'failed',
            message: `the test could not start within ${BOOT_TIMEOUT_MS / 1000} s (the runtime is busy)`,
          }),
        BOOT_TIMEOUT_MS,
      );
      this.outcome = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      if (this.ended) return this.finish(this.ended);
      void this.ready.then((loaded) => {
        if (!loaded || this.ended) return;
        // Loaded: the node's own time starts now.
        clearTimeout(timer);
        timer = setTimeout(() => this.finish({ kind: 'timeout', message: timeoutMessage(job, timeoutMs) }), timeoutMs);
        this.worker.postMessage(job);
      });
    });
  }

  /** It died before it was given a job (a spare is then replaced, not used). */
  get dead(): boolean {
    return this.ended !== null;
  }

  terminate(): void {
    void this.worker.terminate();
  }

  private finish(outcome: NodeTestOutcome): void {
    this.ended ??= outcome;
    const deliver = this.outcome;
    if (!deliver) return;
    this.outcome = null;
    this.terminate();
    deliver(this.ended);
  }
}

export class NodeTestPool {
  private spare: TestWorker | null = null;
  private idle: NodeJS.Timeout | null = null;
  private closed = false;

  /** Runs `job` in a worker of its own; the node gets `timeoutMs` once its worker is loaded. */
  async run(job: NodeTestJob, timeoutMs: number): Promise<NodeTestOutcome> {
    const worker = this.spare && !this.spare.dead ? this.spare : new TestWorker();
    this.spare = null;
    try {
      return await worker.run(job, timeoutMs);
    } finally {
      this.warm();
    }
  }

  /** Has a worker loaded for the next test (made now if there is none), kept for a while. */
  warm(): void {
    if (this.closed) return;
    if (this.spare?.dead) this.spare = null;
    this.spare ??= new TestWorker();
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.dropSpare(), SPARE_IDLE_MS).unref();
  }

  /** Terminates the spare (at server close). */
  close(): void {
    this.closed = true;
    this.dropSpare();
  }

  private dropSpare(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.spare?.terminate();
    this.spare = null;
  }
}
