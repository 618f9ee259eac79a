/** Every problem `validateFlow` can report, with a one-line help text. Codes are stable. */
export const PROBLEM_CODES = {
  E_JSON_MALFORMED: 'The file is not valid JSON.',
  E_SCHEMA: 'The document does not have the shape of a flow (wrong type, missing or unknown field).',
  E_SCHEMA_VERSION: 'The document was written by a newer Tributary than this one.',
  E_UNKNOWN_NODE_TYPE: 'No installed node type has this id.',
  E_TYPE_VERSION: 'The node was saved by a newer version of its node type.',
  E_DUPLICATE_ID: 'Two nodes, edges or connections share an id.',
  E_EDGE_MISSING_NODE: 'An edge points at a node that is not in the flow.',
  E_EDGE_MISSING_PORT: 'An edge uses a port the node does not have.',
  E_SINK_HAS_OUTPUT: 'Sinks have no outputs (only their error port may be wired).',
  E_SOURCE_HAS_INPUT: 'Sources have no inputs.',
  E_CYCLE: 'Flows are acyclic: this edge closes a loop.',
  E_CONFIG_INVALID: "A node's config does not match its node type's schema.",
  E_CONNECTION_MISSING: 'A node references a connection that is not defined in the flow.',
  E_CONNECTION_TYPE: 'A referenced connection is of another type than the node needs.',
  E_CONNECTION_INVALID: "A connection's config does not match its connection type's schema.",
  E_UNKNOWN_CONNECTION_TYPE: 'No installed connection type has this id.',
  E_SECRET_IN_CLEAR: 'A secret is written in clear; use ${env:NAME} or ${cred:NAME}.',
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/** One problem of a flow document. */
export interface FlowProblem {
  code: ProblemCode | (string & {});
  /** JSON pointer (RFC 6901) to the offending value, e.g. `/nodes/2/config/topic`; `''` is the document. */
  path: string;
  message: string;
  nodeId?: string;
  edgeId?: string;
}

/** Escapes one JSON pointer segment. */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function toPointer(segments: readonly PropertyKey[]): string {
  return segments.map((s) => '/' + pointerSegment(typeof s === 'symbol' ? s.toString() : s)).join('');
}
