import express, { type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import { RuntimeError } from '../errors.js';
import type { EndpointHub } from '@tributary/nodes/runtime';
import type { FlowManager } from '../host/flow-manager.js';
import type { FlowMetrics } from '../metrics/prometheus.js';
import type { StatsHistory } from '../metrics/stats-history.js';
import { checkCredentialName, type CredentialStore } from '../store/credential-store.js';
import type { FlowStore } from '../store/flow-store.js';
import type { FlowValidator } from '../validation.js';
import type { ValidationPool } from '../validation-pool.js';
import { bearerToken, crossSiteReason, tokenMatches } from './access.js';
import { editorApiRoutes } from './editor-routes.js';
import { editorRoutes } from './editor-static.js';
import { errorHandler, sendError } from './errors.js';
import { flowRoutes } from './flows-routes.js';
import { jsonBody } from './json-body.js';
import { channelRoutes } from './channel-routes.js';
import type { ChannelService } from '../channel/channel-service.js';

export interface AppContext {
  store: FlowStore;
  credentials: CredentialStore;
  manager: FlowManager;
  history: StatsHistory;
  metrics: FlowMetrics;
  validator: FlowValidator;
  /** Checks documents off the main thread. */
  pool: ValidationPool;
  /** Body of `GET /api/node-types` (computed once: manifests do not change while the server runs). */
  nodeTypes: unknown;
  version: string;
  startedAt: number;
  token: string | undefined;
  /** Browser origins besides the server's own that may use the API (exact `scheme://host:port`). */
  allowedOrigins?: readonly string[];
  bodyLimitBytes: number;
  editorDir: string | undefined;
  /** Flow endpoints (`/hooks`, `/streams`, `/ws`); it checks the token itself. */
  endpoints?: EndpointHub;
  log: (message: string) => void;
  /** The consumer-channel API over Kafka (`--channel-brokers`); absent when not asked for. */
  channel?: ChannelService | undefined;
}

const CredentialBody = z.object({ value: z.string() });

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const guard: RequestHandler = (req, res, next) => {
    const crossSite = crossSiteReason(req.headers, ctx.token !== undefined, ctx.allowedOrigins);
    if (crossSite !== null) {
      sendError(res, 403, 'E_FORBIDDEN_ORIGIN', crossSite);
      return;
    }
    if (ctx.token !== undefined && !tokenMatches(ctx.token, bearerToken(req.headers))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="tributary"');
      sendError(res, 401, 'E_UNAUTHORIZED', 'this server needs a token: send Authorization: Bearer <token>');
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  };

  const api = express.Router();
  // Flow documents arrive as bytes and are parsed and checked on the validation worker (flows-routes.ts).
  const json = jsonBody(ctx.bodyLimitBytes);

  api.get('/health', (_req, res) => {
    res.json({ ok: true, version: ctx.version, uptimeMs: Date.now() - ctx.startedAt, flows: ctx.manager.counts() });
  });

  api.get('/node-types', (_req, res) => {
    res.json(ctx.nodeTypes);
  });

  api.use(
    flowRoutes({
      store: ctx.store,
      manager: ctx.manager,
      history: ctx.history,
      pool: ctx.pool,
      bodyLimitBytes: ctx.bodyLimitBytes,
      onDeleted: (id) => ctx.metrics.forget(id),
    }),
  );

  // The editor's home list and its node test panel (a sample message as JSON).
  api.use('/node-test', json);
  api.use(editorApiRoutes(ctx));

  api.get('/credentials', (_req, res) => {
    res.json({ names: ctx.credentials.names() });
  });

  api.put('/credentials/:name', json, async (req, res) => {
    const name = checkCredentialName(String(req.params.name));
    const body = CredentialBody.safeParse(req.body);
    if (!body.success) throw new RuntimeError('E_BODY_INVALID', 'send { "value": "<secret>" } as JSON', 400);
    await ctx.credentials.set(name, body.data.value);
    res.status(204).end();
  });

  api.delete('/credentials/:name', async (req, res) => {
    await ctx.credentials.delete(checkCredentialName(String(req.params.name)));
    res.status(204).end();
  });

  if (ctx.channel) api.use('/channel/v1', json, channelRoutes(ctx.channel));

  api.use((req, res) => {
    sendError(res, 404, 'E_NOT_FOUND', `no API route ${req.method} ${req.baseUrl}${req.path}`);
  });

  app.use('/api', guard, api);

  app.get('/metrics', guard, async (_req, res) => {
    res.setHeader('Content-Type', ctx.metrics.contentType);
    res.send(await ctx.metrics.text());
  });

  const endpoints = ctx.endpoints;
  if (endpoints !== undefined) {
    app.use((req, res, next) => {
      if (!endpoints.handle(req, res)) next();
    });
  }

  app.use(editorRoutes(ctx.editorDir));
  // Anything else: a JSON 404 (Express's own answer is an HTML page).
  app.use((req, res) => {
    sendError(res, 404, 'E_NOT_FOUND', `nothing at ${req.method} ${req.path.slice(0, 200)}`);
  });
  app.use(errorHandler({ bodyLimitBytes: ctx.bodyLimitBytes, log: ctx.log }));
  return app;
}
