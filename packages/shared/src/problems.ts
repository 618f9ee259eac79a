/**
 * Every problem `validateFlow` (and `validateFlowText`) can report, with a one-line help text.
 * Codes are stable: tools and tests may match on them; messages may change.
 */
export const PROBLEM_CODES = {
  E_JSON_MALFORMED: 'The file is not valid JSON (the message gives the line and column).',
  E_SCHEMA: 'The document does not have the shape of a flow (wrong type, missing or unknown field).',
  E_SCHEMA_VERSION: 'The document was written by a newer Tributary than this one.',
  E_MIGRATION_FAILED: 'An older document could not be upgraded to the current schemaVersion.',
  E_UNKNOWN_NODE_TYPE: 'No installed node type has this id.',
  E_NODE_TYPE_INVALID: "The installed node type's config schema cannot be inspected (a bug in the node type).",
  E_TYPE_VERSION: 'The node was saved by a newer version of its node type than the installed one.',
  E_CONFIG_MIGRATION: "The node's config could not be upgraded from its typeVersion to the current one.",
  E_DUPLICATE_ID: 'Two nodes, edges or connections share an id.',
  E_DUPLICATE_EDGE: 'Two edges join the same output port to the same input port.',
  E_EDGE_MISSING_NODE: 'An edge points at a node that is not in the flow.',
  E_EDGE_MISSING_PORT: 'An edge uses a port the node does not have.',
  E_SINK_HAS_OUTPUT: 'Sinks have no outputs (only their error port may be wired).',
  E_SOURCE_HAS_INPUT: 'Sources have no inputs.',
  E_CYCLE: 'Flows are acyclic: these nodes feed each other in a loop.',
  E_CONFIG_INVALID: "A node's config does not match its node type's schema.",
  E_CONNECTION_MISSING: 'A node references a connection that is not defined in the flow.',
  E_CONNECTION_TYPE: 'A referenced connection is of another type than the field needs.',
  E_CONNECTION_INVALID: "A connection's config does not match its connection type's schema.",
  E_UNKNOWN_CONNECTION_TYPE: 'No installed connection type has this id.',
  E_SECRET_IN_CLEAR: 'A secret is written in clear; use a ${env:NAME} or ${cred:NAME} reference.',
  E_HOLD_DEADLOCK:
    'A node (a window) may hold more unconfirmed messages than a source upstream lets be unconfirmed: it would wait forever.',
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/** One problem of a flow document. */
export interface FlowProblem {
  /** A key of `PROBLEM_CODES` (other layers, e.g. the runtime's CLI, add their own codes). */
  code: ProblemCode | (string & {});
  /** JSON pointer (RFC 6901) to the offending value, e.g. `/nodes/2/config/topic`; `''` is the document. */
  path: string;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** The connection (`connections[].id`) the problem is about. Added after v1 of the contract. */
  connectionId?: string;
}

/**
 * Escapes one JSON pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`).
 *
 * @example
 * pointerSegment('a/b') // 'a~1b'
 */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * A JSON pointer from path segments (as in zod issues).
 *
 * @example
 * toPointer(['nodes', 2, 'config', 'topic']) // '/nodes/2/config/topic'
 */
export function toPointer(segments: readonly PropertyKey[]): string {
  return segments.map((s) => '/' + pointerSegment(typeof s === 'symbol' ? s.toString() : s)).join('');
}

/**
 * Path segments of a JSON pointer (the inverse of `toPointer`; array indices stay strings).
 *
 * @example
 * fromPointer('/nodes/2/config/a~1b') // ['nodes', '2', 'config', 'a/b']
 */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
