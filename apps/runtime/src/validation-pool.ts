import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FlowDocument, FlowProblem } from '@tributary/shared';
import { RuntimeError } from './errors.js';

/** What a check is: structure only (enough to save a draft) or everything the engine checks. */
export type CheckMode = 'parse' | 'check';

/**
 * A document to check: one the server holds already, or the bytes of a request body (parsed in
 * the worker too). `envelope` says where the document sits in the body: the body itself, or its
 * `flow` field (`validate`: `{ flow }`; `update`: `{ flow, rev }`).
 */
export type PoolJob =
  | { kind: 'doc'; mode: CheckMode; doc: unknown }
  | { kind: 'bytes'; mode: CheckMode; bytes: Uint8Array; envelope: 'doc' | 'validate' | 'update' };

export type PoolAnswer =
  | { kind: 'ok'; flow: FlowDocument; rev?: string }
  | { kind: 'problems'; problems: FlowProblem[]; problemsOmitted?: number }
  | { kind: 'json-invalid'; message: string }
  | { kind: 'too-deep'; depth: number }
  | { kind: 'body-invalid'; message: string; problems: FlowProblem[]; problemsOmitted?: number }
  | { kind: 'failed'; message: string };

interface Pending {
  resolve(answer: PoolAnswer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

function script(): URL {
  const beside = new URL('./validation-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../dist/validation-worker.js', import.meta.url);
}

/**
 * Checks flow documents on a worker thread, one at a time, each within a deadline: a document
 * that takes longer is refused (and the worker replaced), so no request can hold the server.
 */
export class ValidationPool {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: { flowDataDir: string; maxProblems: number; timeoutMs?: number }) {}

  async run(job: PoolJob): Promise<PoolAnswer> {
    if (this.closed) throw new RuntimeError('E_SHUTTING_DOWN', 'the server is shutting down', 503);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    return new Promise<PoolAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // The worker is busy with this document and the ones queued behind it: start afresh.
        this.restart(new RuntimeError('E_BUSY', 'the server was busy checking another document; try again', 429));
        reject(
          new RuntimeError(
            'E_FLOW_TOO_COMPLEX',
            `the document could not be checked within ${timeoutMs / 1000} s: make it smaller`,
            413,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // The body's bytes move to the worker instead of being copied.
      const transfer =
        job.kind === 'bytes' && job.bytes.byteOffset === 0 && job.bytes.byteLength === job.bytes.buffer.byteLength
          ? [job.bytes.buffer as ArrayBuffer]
          : [];
      worker.postMessage({ id, job }, transfer);
    });
  }

  /**
   * Starts the worker now (it loads every node type: ~0.4 s, seconds on a busy machine), so the
   * first document checked does not wait for it. Nothing is checked, so nothing can time out.
   */
  warm(): void {
    if (!this.closed) this.ensureWorker();
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new RuntimeError('E_SHUTTING_DOWN', 'the server is shutting down', 503));
    if (worker !== null) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(script(), {
      workerData: { flowDataDir: this.options.flowDataDir, maxProblems: this.options.maxProblems },
      // A hostile document must not grow the server's memory without bound either.
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    worker.unref();
    worker.on('message', ({ id, reply }: { id: number; reply: PoolAnswer }) => {
      const pending = this.pending.get(id);
      if (pending === undefined) return;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(reply);
    });
    const gone = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(error);
    };
    worker.on('error', (error) =>
      gone(new RuntimeError('E_FLOW_TOO_COMPLEX', `the document could not be checked: ${error.message}`, 413)),
    );
    worker.on('exit', () => gone(new RuntimeError('E_INTERNAL', 'the validation worker stopped', 503)));
    this.worker = worker;
    return worker;
  }

  private restart(error: Error): void {
    const worker = this.worker;
    this.worker = null;
    this.failAll(error);
    void worker?.terminate();
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
