/**
 * Node-only: HTTP to a consumer-channel service (undici), with what such services need from a
 * client: a cookie jar (tough-cookie: load balancers pin a consumer to one instance with a cookie),
 * token login again on 401/403, retries of temporary failures, a CA bundle.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { CookieJar } from 'tough-cookie';
import { backoffDelay, sleep, type NodeContext, type NodeLogger, type NodeStatsReporter } from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import { connectionOf } from './connection-of.js';
import { channelConnection, type ChannelConnectionConfig } from './channel.js';

/** A temporary failure is tried again this many times (with backoff) before it is given up. */
const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 10_000;

export function channelConnectionOf(ctx: NodeContext, id: string, field = 'connection'): ChannelConnectionConfig {
  const c = connectionOf(ctx, id, channelConnection, field);
  if (c.auth === 'login' && (c.username === undefined || c.password === undefined))
    throw new NodeConfigError(`connection "${id}": login needs a user name and a password`, field);
  if (c.auth === 'token' && c.token === undefined)
    throw new NodeConfigError(`connection "${id}": token authentication needs a token`, field);
  return c;
}

/** An answer the caller must act on: 404 (the consumer is gone), or a permanent 4xx. */
export class ChannelHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ChannelHttpError';
  }
}

export interface ChannelResponse {
  status: number;
  body: unknown;
}

export interface ChannelRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
}

const isTemporary = (status: number) => status === 408 || status === 429 || status >= 500;

/** TLS refusals no retry can fix: the certificate is not trusted or does not name the server. */
function certificateProblem(error: unknown): string | null {
  const code =
    (error as { code?: string; cause?: { code?: string } } | null)?.code ??
    (error as { cause?: { code?: string } } | null)?.cause?.code;
  if (code === undefined) return null;
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code) ? code : null;
}

/**
 * One service connection: requests with auth, cookies and retries.
 *
 * @example
 * const http = new ChannelHttp(connection, ctx.log, ctx.stats);
 * const { body } = await http.send({ method: 'POST', path: '/databus/consumer-service/v1/consumers', body: {...} });
 */
export class ChannelHttp {
  private readonly jar = new CookieJar();
  private readonly agent: Agent;
  private token: string | undefined;
  private loggingIn: Promise<string> | null = null;

  constructor(
    readonly connection: ChannelConnectionConfig,
    private readonly log: NodeLogger,
    private readonly stats: NodeStatsReporter,
  ) {
    this.agent = new Agent({
      connect: {
        rejectUnauthorized: connection.rejectUnauthorized,
        ...(connection.ca === undefined ? {} : { ca: connection.ca }),
      },
      headersTimeout: connection.requestTimeoutMs,
      bodyTimeout: connection.requestTimeoutMs,
    });
    if (connection.auth === 'token') this.token = connection.token;
  }

  url(path: string): string {
    return new URL(
      path.replace(/^\/+/, ''),
      this.connection.url.endsWith('/') ? this.connection.url : `${this.connection.url}/`,
    ).toString();
  }

  /**
   * Sends a request; answers 2xx and 404 (the caller decides what a missing consumer means). Logs
   * in again on 401/403 (login auth), retries network errors, 408, 429 and 5xx with backoff;
   * throws ChannelHttpError for other answers and once retries are used up.
   */
  async send(req: ChannelRequest, signal?: AbortSignal): Promise<ChannelResponse> {
    let relogged = false;
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let body: unknown;
      let failure: string;
      try {
        ({ status, body } = await this.once(req, signal));
        if ((status >= 200 && status < 300) || status === 404) return { status, body };
        failure = `HTTP ${status}${describeBody(body)}`;
      } catch (error) {
        if (signal?.aborted) throw error;
        const tls = certificateProblem(error);
        if (tls !== null)
          throw new ChannelHttpError(
            `${req.method} ${req.path}: the server's certificate is not trusted (${tls}): give its CA bundle in the connection`,
            0,
            null,
          );
        // A refused login (wrong password) will not fix itself; a login that hit a 5xx may.
        if (error instanceof ChannelHttpError && !isTemporary(error.status)) throw error;
        failure = (error as Error).message;
      }
      if ((status === 401 || status === 403) && this.connection.auth === 'login' && !relogged) {
        // The token expired (or was revoked): one fresh login, then the same request again.
        relogged = true;
        this.token = undefined;
        this.stats.add('relogins');
        attempt--;
        continue;
      }
      if (status !== 0 && !isTemporary(status))
        throw new ChannelHttpError(`${req.method} ${req.path}: ${failure}`, status, body);
      if (attempt >= MAX_ATTEMPTS)
        throw new ChannelHttpError(`${req.method} ${req.path}: ${failure} (after ${attempt} attempts)`, status, body);
      this.stats.add('retries');
      this.log.warn(`${req.method} ${req.path} failed (${failure}), trying again`);
      await sleep(backoffDelay(attempt, { initialMs: 200, maxMs: MAX_BACKOFF_MS }), signal);
      if (signal?.aborted) throw new Error('stopped');
    }
  }

  private async authorization(signal?: AbortSignal): Promise<string | undefined> {
    if (this.connection.auth === 'none') return undefined;
    if (this.token !== undefined) return `Bearer ${this.token}`;
    this.loggingIn ??= this.login(signal).finally(() => (this.loggingIn = null));
    this.token = await this.loggingIn;
    return `Bearer ${this.token}`;
  }

  private async login(signal?: AbortSignal): Promise<string> {
    const basic = Buffer.from(`${this.connection.username}:${this.connection.password}`).toString('base64');
    const { status, body } = await this.raw(
      'GET',
      this.url(this.connection.loginPath),
      { authorization: `Basic ${basic}` },
      undefined,
      signal,
    );
    if (status !== 200) throw new ChannelHttpError(`login failed: HTTP ${status}${describeBody(body)}`, status, body);
    const token = (body as { AuthorizationToken?: unknown } | null)?.AuthorizationToken;
    if (typeof token !== 'string' || token === '')
      throw new ChannelHttpError('login answered without an AuthorizationToken', status, body);
    this.stats.add('logins');
    return token;
  }

  private async once(req: ChannelRequest, signal?: AbortSignal): Promise<ChannelResponse> {
    const headers: Record<string, string> = {};
    const auth = await this.authorization(signal);
    if (auth !== undefined) headers.authorization = auth;
    if (req.accept) headers.accept = req.accept;
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    return this.raw(req.method, this.url(req.path), headers, payload, signal);
  }

  private async raw(
    method: Dispatcher.HttpMethod,
    url: string,
    headers: Record<string, string>,
    payload?: string,
    signal?: AbortSignal,
  ): Promise<ChannelResponse> {
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    const response = await request(url, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      dispatcher: this.agent,
      ...(signal === undefined ? {} : { signal }),
    });
    const setCookie = response.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [])
      await this.jar.setCookie(c, url, { ignoreError: true });
    const text = await response.body.text();
    let body: unknown = text;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // Not JSON (an HTML error page of a proxy): kept as text for the message.
      }
    } else body = null;
    return { status: response.statusCode, body };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function describeBody(body: unknown): string {
  if (body === null || body === undefined || body === '') return '';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return `: ${text.slice(0, 200)}`;
}
