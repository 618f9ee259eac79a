import type { KeyValueStore, NodeLogger } from '@tributary/shared';

/** What user code sees as `ctx`. */
export interface FunctionContext {
  readonly nodeId: string;
  readonly flowId: string;
  readonly log: NodeLogger;
  /** The flow-scoped durable store (opened on first use). */
  readonly cache: KeyValueStore;
  /** In-memory state kept between messages of this node (not persisted). */
  readonly state: Record<string, unknown>;
  /**
   * This message's signal: aborted when its timeout passes or the flow stops. Pass it to fetch()
   * and friends, or check `signal.aborted` in a loop, so work that can no longer count stops.
   */
  readonly signal: AbortSignal;
}

/**
 * `ctx` for one call of the user's function: the node's context, with a signal of the call's own.
 * The signal is made on first use (an AbortSignal costs microseconds; most calls never read it),
 * and is born aborted when the call was ended before that (its timeout, the flow's stop).
 */
export class CallContext implements FunctionContext {
  private controller: AbortController | null = null;
  private ended = false;
  private endReason: unknown;

  constructor(
    private readonly node: FunctionContext,
    private readonly flowSignal: AbortSignal,
  ) {}

  get nodeId(): string {
    return this.node.nodeId;
  }
  get flowId(): string {
    return this.node.flowId;
  }
  get log(): NodeLogger {
    return this.node.log;
  }
  get cache(): KeyValueStore {
    return this.node.cache;
  }
  get state(): Record<string, unknown> {
    return this.node.state;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.ended) this.controller.abort(this.endReason);
      else if (this.flowSignal.aborted) this.controller.abort(this.flowSignal.reason);
    }
    return this.controller.signal;
  }

  /** The call no longer counts: its signal (now or once made) is aborted with `reason`. */
  end(reason: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endReason = reason;
    this.controller?.abort(reason);
  }
}
