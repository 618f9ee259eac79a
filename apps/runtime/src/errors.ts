import type { FlowProblem } from '@tributary/shared';

/** Error codes the runtime answers with (HTTP body `{ error: { code, message } }`, socket acks). */
export type RuntimeErrorCode =
  | 'E_BAD_REQUEST'
  | 'E_BODY_INVALID'
  | 'E_JSON_INVALID'
  | 'E_JSON_TOO_DEEP'
  | 'E_DATA_DIR_LOCKED'
  | 'E_FLOW_TOO_COMPLEX'
  | 'E_BUSY'
  | 'E_PAYLOAD_TOO_LARGE'
  | 'E_UNAUTHORIZED'
  | 'E_FORBIDDEN_ORIGIN'
  | 'E_NOT_FOUND'
  | 'E_ID_INVALID'
  | 'E_ID_MISMATCH'
  | 'E_FLOW_NOT_FOUND'
  | 'E_FLOW_EXISTS'
  | 'E_FLOW_INVALID'
  | 'E_FLOW_START_FAILED'
  | 'E_EDGE_NOT_FOUND'
  | 'E_REV_CONFLICT'
  | 'E_CREDENTIAL_NOT_FOUND'
  | 'E_SHUTTING_DOWN'
  | 'E_CHANNEL_UNAVAILABLE'
  | 'E_INTERNAL';

/** An error meant for the client: a code from the catalogue, a message in words, an HTTP status. */
export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly status: number,
    readonly extra: { problems?: FlowProblem[]; problemsOmitted?: number; current?: unknown; nodeId?: string } = {},
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export const notFound = (id: string) => new RuntimeError('E_FLOW_NOT_FOUND', `flow "${id}" does not exist`, 404);
