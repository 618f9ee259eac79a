/**
 * Node-only: batched receipt-handle operations on one queue — deletes (after the flow confirmed) and
 * visibility changes (extensions and returns) — in requests of at most 10 entries, retrying only
 * the entries that failed.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type BatchResultErrorEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { backoffDelay, sleep, type NodeLogger, type NodeStatsReporter } from '@tributary/shared';
import { describeSqsError } from './sqs-client.js';

/** SQS's limit of entries per batch request. */
export const SQS_BATCH_LIMIT = 10;
/** An entry is tried this many times before it is given up (counted, logged). */
const MAX_ATTEMPTS = 6;
/** Delete requests on the wire at once. */
const PARALLEL_DELETES = 4;

/** Errors that no retry can fix: the receipt is stale (the message was received again) or gone. */
function isPermanent(entry: BatchResultErrorEntry): boolean {
  return /ReceiptHandleIsInvalid|InvalidParameterValue|MessageNotInflight/i.test(entry.Code ?? '');
}

const RETRY_BACKOFF = { initialMs: 100, maxMs: 5000 };

interface Pending {
  readonly handle: string;
  attempts: number;
}

/**
 * Deletes receipt handles in batches of up to 10 as they are added; `drain()` resolves once
 * nothing is pending. A receipt added twice is deleted once (SQS rejects duplicate ids in a batch).
 */
export class ReceiptDeleter {
  private readonly queue: Pending[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly log: NodeLogger,
    private readonly stats: NodeStatsReporter,
  ) {}

  add(handles: readonly string[]): void {
    for (const handle of handles) {
      if (this.queued.has(handle)) continue;
      this.queued.add(handle);
      this.queue.push({ handle, attempts: 0 });
    }
    this.schedule();
  }

  get pending(): number {
    return this.queued.size;
  }

  /** Resolves when every added receipt was deleted or given up. */
  drain(): Promise<void> {
    if (this.queued.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    // Acks of one turn of the event loop go out together: fewer, fuller requests.
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < PARALLEL_DELETES && this.queue.length > 0) {
      const batch = this.queue.splice(0, SQS_BATCH_LIMIT);
      this.active++;
      void this.send(batch).finally(() => {
        this.active--;
        this.pump();
        if (this.queued.size === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    let failed: { entry: Pending; why: string; permanent: boolean }[] = [];
    try {
      const answer = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((entry, i) => ({ Id: String(i), ReceiptHandle: entry.handle })),
        }),
      );
      let deleted = batch.length;
      for (const error of answer.Failed ?? []) {
        const entry = batch[Number(error.Id)];
        if (entry === undefined) continue;
        deleted--;
        failed.push({ entry, why: `${error.Code}: ${error.Message ?? ''}`, permanent: isPermanent(error) });
      }
      this.stats.add('deleted', deleted);
    } catch (error) {
      failed = batch.map((entry) => ({ entry, why: describeSqsError(error), permanent: false }));
    }
    const succeeded = new Set(batch);
    const retry: Pending[] = [];
    for (const { entry, why, permanent } of failed) {
      succeeded.delete(entry);
      entry.attempts++;
      if (permanent || entry.attempts >= MAX_ATTEMPTS) {
        // The message will be received again (a duplicate downstream), never lost.
        this.queued.delete(entry.handle);
        this.stats.add('deleteErrors');
        this.log.warn(`could not delete a confirmed message (it will be delivered again): ${why}`);
      } else retry.push(entry);
    }
    for (const entry of succeeded) this.queued.delete(entry.handle);
    if (retry.length > 0) {
      await sleep(backoffDelay(Math.max(...retry.map((e) => e.attempts)), RETRY_BACKOFF));
      this.queue.push(...retry);
    }
  }
}

/**
 * Sets the visibility timeout of receipt handles, 10 per request; answers the handles whose change
 * failed. Used for heartbeats (extend) and for handing failed messages back (0 or a delay).
 */
export async function changeVisibility(
  client: SQSClient,
  queueUrl: string,
  handles: readonly string[],
  seconds: number,
): Promise<{ failed: string[]; reason?: string }> {
  const failed: string[] = [];
  let reason: string | undefined;
  for (let start = 0; start < handles.length; start += SQS_BATCH_LIMIT) {
    const chunk = [...new Set(handles.slice(start, start + SQS_BATCH_LIMIT))];
    try {
      const answer = await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle, VisibilityTimeout: seconds })),
        }),
      );
      for (const error of answer.Failed ?? []) {
        const handle = chunk[Number(error.Id)];
        if (handle !== undefined) failed.push(handle);
        reason = `${error.Code}: ${error.Message ?? ''}`;
      }
    } catch (error) {
      failed.push(...chunk);
      reason = describeSqsError(error);
    }
  }
  return reason === undefined ? { failed } : { failed, reason };
}
