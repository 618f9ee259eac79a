import type { FlowDocument, FlowProblem } from '@tributary/shared';

export type CheckResult = { ok: true; flow: FlowDocument } | { ok: false; problems: FlowProblem[] };

/** The two levels of checking the server applies to flow documents. */
export interface FlowValidator {
  /** Structure only (the document schema, after migrations): enough to save a draft. */
  parse(raw: unknown): CheckResult;
  /** Everything the engine checks before running: node types, their configs, ports, cycles. */
  check(raw: unknown): CheckResult;
}
