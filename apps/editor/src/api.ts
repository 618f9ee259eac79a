import type {
  ApiError,
  CredentialNamesResponse,
  FlowDocument,
  FlowListResponse,
  FlowRecord,
  FlowStatsHistoryResponse,
  FlowSummary,
  NodeTypesResponse,
  ReplaceFlowRequest,
} from '@tributary/shared';
import { requireSignIn, storedToken } from './auth.js';

/** A failed API call: the server's error body, or a network failure in words. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError['error'],
  ) {
    super(body.message);
  }
}

/** Set when the runtime requires a token (stored by the user; never in the bundle). */
function authHeaders(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function authToken(): string | undefined {
  return storedToken();
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...authHeaders() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiFailure(0, { code: 'E_NETWORK', message: `cannot reach the runtime: ${(e as Error).message}` });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status === 401) requireSignIn();
  if (!res.ok) {
    const error = (parsed as ApiError | undefined)?.error;
    throw new ApiFailure(res.status, error ?? { code: `HTTP_${res.status}`, message: text || res.statusText });
  }
  return parsed as T;
}

const flowPath = (id: string) => `/api/flows/${encodeURIComponent(id)}`;

/** One line of `GET /api/overview` (apps/runtime/src/http/editor-routes.ts). */
export interface FlowOverview {
  id: string;
  name: string;
  state: FlowSummary['state'];
  nodeCount: number;
  updatedAt: string;
  rate: number;
  errors: number;
  startedAt?: string;
  lastError?: string;
  lastErrorNodeId?: string;
}

/** What `POST /api/node-test` answers (apps/runtime/src/http/node-test-protocol.ts). */
export type NodeTestOutcome =
  | {
      kind: 'ran';
      outputs: Record<string, { key: string | null; value: unknown; headers: Record<string, string> }[]>;
      errors: { code: string; message: string }[];
      logs: { level: string; message: string }[];
      dropped: number;
    }
  | { kind: 'config'; problems: { path: string; message: string; line?: number; column?: number }[] }
  | { kind: 'failed' | 'timeout' | 'refused'; message: string };

export interface NodeTestRequest {
  type: string;
  nodeId?: string;
  config: Record<string, unknown>;
  message?: { value: unknown; key?: string | null; headers?: Record<string, string> };
  /** The flow's connections as its document holds them: secrets stay references, resolved on the runtime. */
  connections?: readonly { id: string; type: string; config: Record<string, unknown> }[];
  /** A sink sends for real only with this set. */
  writeToTarget?: boolean;
  timeoutMs?: number;
}

export const api = {
  overview: () => call<{ flows: FlowOverview[] }>('GET', '/api/overview'),
  nodeTest: (request: NodeTestRequest) => call<NodeTestOutcome>('POST', '/api/node-test', request),
  nodeTypes: () => call<NodeTypesResponse>('GET', '/api/node-types'),
  flows: () => call<FlowListResponse>('GET', '/api/flows'),
  flow: (id: string) => call<FlowRecord>('GET', flowPath(id)),
  create: (flow: FlowDocument) => call<FlowRecord>('POST', '/api/flows', flow),
  replace: (flow: FlowDocument, rev: string) =>
    call<FlowRecord>('PUT', flowPath(flow.id), { flow, rev } satisfies ReplaceFlowRequest),
  deploy: (id: string) => call<FlowRecord>('POST', `${flowPath(id)}/deploy`),
  stop: (id: string) => call<FlowRecord>('POST', `${flowPath(id)}/stop`),
  /** Stops the flow if it runs, then deletes it with its history. */
  remove: (id: string) => call<undefined>('DELETE', flowPath(id)),
  stats: (id: string, since = 0) => call<FlowStatsHistoryResponse>('GET', `${flowPath(id)}/stats?since=${since}`),
  /** Names only: the runtime never returns a credential's value. */
  credentials: () => call<CredentialNamesResponse>('GET', '/api/credentials'),
  setCredential: (name: string, value: string) =>
    call<undefined>('PUT', `/api/credentials/${encodeURIComponent(name)}`, { value }),
};
