/** What the node-test route and its worker exchange (and what `POST /api/node-test` answers). */

export interface NodeTestMessage {
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

export interface NodeTestJob {
  type: string;
  nodeId: string;
  config: unknown;
  /** Left out: only create the node (compile its code), as a syntax check. */
  message?: { value: unknown; key?: string | null; headers?: Record<string, string> };
  connections?: Record<string, Record<string, unknown>>;
}

export type NodeTestOutcome =
  /** The node ran on the message: what it emitted by port, its errors and logs. */
  | {
      kind: 'ran';
      outputs: Record<string, NodeTestMessage[]>;
      errors: { code: string; message: string }[];
      logs: { level: string; message: string }[];
      dropped: number;
    }
  /** The node could not be created from its config (a syntax error names its line and column). */
  | { kind: 'config'; problems: { path: string; message: string; line?: number; column?: number }[] }
  /** The node failed outside of a message (its start, its close). */
  | { kind: 'failed'; message: string }
  /** No result within the time limit: the worker was terminated. */
  | { kind: 'timeout'; message: string }
  | { kind: 'refused'; message: string };
