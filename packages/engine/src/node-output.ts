import { ERROR_PORT, type FlowMessage, type Hold, type Output } from '@tributary/shared';
import type { AckGroup } from './batch-queue.js';

/** What a `Hold` is inside the engine: one reference on an input batch's ack group. */
export interface HoldRef {
  readonly group: AckGroup | null;
  /** Passed to emitFrom or release already (a second use is refused). */
  spent: boolean;
  /** Failed by the engine at shutdown: a late emitFrom or release of it is ignored, not refused. */
  revoked: boolean;
}

const toHold = (ref: HoldRef): Hold => ref as unknown as Hold;
export const fromHold = (hold: Hold): HoldRef => hold as unknown as HoldRef;

/** The code and text an error is reported with: the error's own `code`, else E_HANDLER_THREW. */
export function describeError(error: unknown): { code: string; text: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'E_HANDLER_THREW', text: error.message };
  }
  return { code: 'E_HANDLER_THREW', text: String(error) };
}

/**
 * Collects what one `process` call emits. Arrays are handed downstream as batches, so a fresh array
 * is made per port per call; nothing is copied.
 */
export class NodeOutput implements Output {
  main: FlowMessage[] | null = null;
  other: Map<string, FlowMessage[]> | null = null;
  errors: FlowMessage[] | null = null;
  dropped = 0;
  errorCount = 0;
  /** The ack group of the batch being processed (what `hold()` claims). */
  ack: AckGroup | null = null;

  constructor(
    private readonly node: { readonly id: string; readonly defaultPort: string },
    private readonly onError: (code: string, message: string) => void,
    /** Every hold not yet spent, flow-wide, so that shutdown can fail them (see `Router.revokeHolds`). */
    private readonly openHolds: Set<HoldRef>,
  ) {}

  begin(ack: AckGroup | null = this.ack): void {
    this.ack = ack;
    this.main = null;
    this.other = null;
    this.errors = null;
    this.dropped = 0;
    this.errorCount = 0;
  }

  push(message: FlowMessage, port?: string): void {
    if (port === undefined || port === this.node.defaultPort) {
      (this.main ??= []).push(message);
      return;
    }
    if (port === ERROR_PORT) {
      (this.errors ??= []).push(message);
      return;
    }
    const other = (this.other ??= new Map<string, FlowMessage[]>());
    const list = other.get(port);
    if (list) list.push(message);
    else other.set(port, [message]);
  }

  error(error: unknown, message: FlowMessage): void {
    const { code, text } = describeError(error);
    this.errorCount++;
    (this.errors ??= []).push({
      key: message.key,
      value: message.value,
      headers: message.headers,
      timestamp: message.timestamp,
      meta: { ...message.meta, error: { code, message: text, nodeId: this.node.id } },
    });
    this.onError(code, text);
  }

  drop(count = 1): void {
    this.dropped += count;
  }

  hold(): Hold {
    const group = this.ack;
    const ref: HoldRef = { group, spent: false, revoked: false };
    if (group !== null) {
      group.pending++;
      this.openHolds.add(ref);
    }
    return toHold(ref);
  }
}
