import { ERROR_PORT, type FlowLogEntry, type NodeErrorEvent } from '@tributary/shared';
import type { RunNode } from './run-graph.js';

/** `node:error` events per node are folded into one per this many ms. */
const ERROR_EVENT_INTERVAL_MS = 200;

interface Fold {
  lastAt: number;
  count: number;
  last: { code: string; message: string } | null;
}

/**
 * Rate-limits error events: the first error of a node goes out at once, repeats within the
 * interval are folded into one event with a `count`. Errors that reach no error port are logged
 * too (at the same rate), or they would vanish.
 */
export class ErrorFolder {
  private readonly folds = new Map<RunNode, Fold>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly flowId: string,
    private readonly onNodeError: ((event: NodeErrorEvent) => void) | undefined,
    private readonly onLog: ((entry: FlowLogEntry) => void) | undefined,
  ) {
    this.timer = setInterval(() => this.flush(), ERROR_EVENT_INTERVAL_MS);
    this.timer.unref();
  }

  report(node: RunNode, code: string, message: string): void {
    const now = Date.now();
    let fold = this.folds.get(node);
    if (fold === undefined) {
      fold = { lastAt: 0, count: 0, last: null };
      this.folds.set(node, fold);
    }
    if (now - fold.lastAt < ERROR_EVENT_INTERVAL_MS) {
      fold.count++;
      fold.last = { code, message };
      return;
    }
    fold.lastAt = now;
    this.publish(node, code, message, 1, now);
  }

  /** Publishes folded repeats once their window passed (or all of them, when the flow ends). */
  flush(force = false): void {
    const now = Date.now();
    for (const [node, fold] of this.folds) {
      if (fold.count > 0 && fold.last && (force || now - fold.lastAt >= ERROR_EVENT_INTERVAL_MS)) {
        this.publish(node, fold.last.code, fold.last.message, fold.count, now);
        fold.count = 0;
        fold.last = null;
        fold.lastAt = now;
      }
    }
  }

  /** The flow ended: out with what is folded, and no more timer. */
  close(): void {
    clearInterval(this.timer);
    this.flush(true);
  }

  private publish(node: RunNode, code: string, message: string, count: number, at: number): void {
    this.onNodeError?.({ flowId: this.flowId, nodeId: node.id, code, message, at, count });
    if (!node.outEdges.get(ERROR_PORT)?.length) {
      this.onLog?.({
        flowId: this.flowId,
        at,
        level: 'error',
        nodeId: node.id,
        message: count > 1 ? `${code}: ${message} (×${count})` : `${code}: ${message}`,
      });
    }
  }
}
