/** One `ctx.endpoints.http` registration: reads the body within its limit, then asks the node. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EndpointRequest, EndpointResponse, HttpEndpointOptions } from '@tributary/shared';
import { sendJsonError, type RouteTarget } from './respond.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_MAX_PENDING = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;

export class HttpRoute {
  private pending = 0;
  private closed = false;
  private readonly methods: ReadonlySet<string>;
  private readonly maxBodyBytes: number;
  private readonly maxPending: number;
  private readonly timeoutMs: number;
  private readonly waiting = new Set<ServerResponse>();

  constructor(
    readonly path: string,
    private readonly handler: (request: EndpointRequest) => Promise<EndpointResponse>,
    options: HttpEndpointOptions = {},
  ) {
    this.methods = new Set((options.methods ?? ['POST']).map((m) => m.toUpperCase()));
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  serve(req: IncomingMessage, res: ServerResponse, target: RouteTarget): void {
    const method = (req.method ?? 'GET').toUpperCase();
    if (!this.methods.has(method)) {
      res.setHeader('Allow', [...this.methods].join(', '));
      sendJsonError(
        res,
        405,
        'E_METHOD_NOT_ALLOWED',
        `${this.path} accepts ${[...this.methods].join(', ')}, not ${method}`,
      );
      return;
    }
    if (this.pending >= this.maxPending) {
      res.setHeader('Retry-After', '1');
      sendJsonError(res, 503, 'E_BUSY', `${this.path} has ${this.pending} requests in progress; retry later`);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBodyBytes) {
      this.tooLarge(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    this.pending++;
    let counted = true;
    const done = () => {
      if (counted) this.pending--;
      counted = false;
    };
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        refused = true;
        done();
        this.tooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', done);
    req.on('end', () => {
      if (refused) return;
      const request: EndpointRequest = {
        method,
        subPath: target.subPath,
        query: target.query,
        headers: flatHeaders(req),
        body: Buffer.concat(chunks),
      };
      void this.answer(request, res).finally(done);
    });
  }

  /** Answers every request still waiting (the flow stopped). */
  close(): void {
    this.closed = true;
    for (const res of this.waiting) {
      res.setHeader('Retry-After', '5');
      sendJsonError(res, 503, 'E_FLOW_STOPPED', `the flow serving ${this.path} stopped before answering`);
    }
    this.waiting.clear();
  }

  private async answer(request: EndpointRequest, res: ServerResponse): Promise<void> {
    if (this.closed) {
      sendJsonError(res, 503, 'E_FLOW_STOPPED', `the flow serving ${this.path} stopped`);
      return;
    }
    this.waiting.add(res);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.timeoutMs)));
    try {
      const answer = await Promise.race([this.handler(request), timeout]);
      if (!this.waiting.delete(res)) return; // answered by close()
      if (answer === 'timeout') {
        sendJsonError(res, 504, 'E_TIMEOUT', `no answer within ${this.timeoutMs / 1000} s`);
        return;
      }
      writeResponse(res, answer);
    } catch (error) {
      if (!this.waiting.delete(res)) return;
      sendJsonError(res, 500, 'E_ENDPOINT', `the node failed to answer: ${(error as Error).message ?? String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Connection', 'close');
    sendJsonError(res, 413, 'E_PAYLOAD_TOO_LARGE', `the request body is larger than ${this.maxBodyBytes} bytes`);
    // Stop reading what is left: the connection closes once the answer is out.
    res.on('finish', () => req.destroy());
  }
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function writeResponse(res: ServerResponse, answer: EndpointResponse): void {
  if (res.headersSent || res.destroyed) return;
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  const body = answer.body;
  if (body === undefined || body === null) {
    res.writeHead(answer.status).end();
  } else if (typeof body === 'string' || body instanceof Uint8Array) {
    if (!res.hasHeader('content-type')) {
      res.setHeader(
        'Content-Type',
        typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      );
    }
    res.writeHead(answer.status).end(body);
  } else {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.writeHead(answer.status).end(JSON.stringify(body));
  }
}
