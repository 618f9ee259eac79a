import { Router, type Request } from 'express';
import { z } from 'zod';
import { serializeFlow, type FlowRecord, type FlowSummary } from '@tributary/shared';
import { RuntimeError, notFound } from '../errors.js';
import type { FlowManager } from '../host/flow-manager.js';
import type { StatsHistory } from '../metrics/stats-history.js';
import { checkFlowId, type FlowStore, type StoredFlow } from '../store/flow-store.js';
import type { FlowValidator } from '../validation.js';
import { capProblems } from './errors.js';

export interface FlowRoutesContext {
  store: FlowStore;
  manager: FlowManager;
  history: StatsHistory;
  validator: FlowValidator;
  /** Called after a flow was deleted (metrics, history). */
  onDeleted(id: string): void;
}

const UpdateBody = z.object({ flow: z.unknown(), rev: z.string().min(1) });
const ValidateBody = z.object({ flow: z.unknown() }).strict();

export function toRecord(stored: StoredFlow, manager: FlowManager): FlowRecord {
  const status = manager.status(stored.flow.id);
  const record: FlowRecord = {
    flow: stored.flow,
    rev: stored.rev,
    state: status.state,
    updatedAt: new Date(stored.meta.updatedAt).toISOString(),
  };
  if (stored.meta.deployedRev !== undefined) record.deployedRev = stored.meta.deployedRev;
  if (status.lastError !== undefined) record.lastError = status.lastError.message;
  return record;
}

export function toSummary(stored: StoredFlow, manager: FlowManager): FlowSummary {
  const summary: FlowSummary = {
    id: stored.flow.id,
    name: stored.flow.name,
    rev: stored.rev,
    state: manager.status(stored.flow.id).state,
    updatedAt: new Date(stored.meta.updatedAt).toISOString(),
    nodeCount: stored.flow.nodes.length,
  };
  if (stored.flow.description !== undefined) summary.description = stored.flow.description;
  return summary;
}

/** Whether the client sent body bytes (a JSON body or not), whatever express.json made of them. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function requireBody(req: Request): unknown {
  if (req.body === undefined) {
    throw new RuntimeError('E_BODY_INVALID', 'send the body as JSON, with Content-Type: application/json', 400);
  }
  return req.body as unknown;
}

function zodProblems(error: z.ZodError) {
  return error.issues.map((issue) => ({
    code: 'E_BODY_INVALID',
    path:
      issue.path.length === 0
        ? ''
        : '/' + issue.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/'),
    message: issue.message,
  }));
}

export function flowRoutes(ctx: FlowRoutesContext): Router {
  const { store, manager, history, validator } = ctx;
  const router = Router();

  /** A document as sent by a client: structurally valid, or a 400 listing every problem. */
  const parseFlow = (raw: unknown) => {
    const parsed = validator.parse(raw);
    if (!parsed.ok) {
      throw new RuntimeError('E_FLOW_INVALID', `the flow document has ${parsed.problems.length} problem(s)`, 400, {
        problems: parsed.problems,
      });
    }
    return parsed.flow;
  };

  const idParam = (req: Request): string => checkFlowId(String(req.params.id));

  /** Rev conflicts and taken ids answer with the current record, so the client can merge or reload. */
  const withCurrent = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RuntimeError && error.extra.current !== undefined) {
        throw new RuntimeError(error.code, error.message, error.status, {
          ...error.extra,
          current: toRecord(error.extra.current as StoredFlow, manager),
        });
      }
      throw error;
    }
  };

  router.get('/flows', (_req, res) => {
    res.json({ flows: store.list().map((stored) => toSummary(stored, manager)) });
  });

  router.post('/flows', async (req, res) => {
    const flow = parseFlow(requireBody(req));
    const stored = await withCurrent(() => store.create(flow));
    res.status(201).json(toRecord(stored, manager));
  });

  router.post('/flows/import', async (req, res) => {
    const flow = parseFlow(requireBody(req));
    const replace = req.query.replace === 'true' || req.query.replace === '1';
    const stored = replace ? await store.put(flow) : await withCurrent(() => store.create(flow));
    res.status(201).json(toRecord(stored, manager));
  });

  router.get('/flows/:id', (req, res) => {
    res.json(toRecord(store.require(idParam(req)), manager));
  });

  router.put('/flows/:id', async (req, res) => {
    const id = idParam(req);
    const body = UpdateBody.safeParse(requireBody(req));
    if (!body.success) {
      throw new RuntimeError(
        'E_BODY_INVALID',
        'send { "flow": <flow document>, "rev": "<rev you started from>" }',
        400,
        {
          problems: zodProblems(body.error),
        },
      );
    }
    store.require(id);
    const flow = parseFlow(body.data.flow);
    const stored = await withCurrent(() => store.update(id, flow, body.data.rev));
    res.json(toRecord(stored, manager));
  });

  router.delete('/flows/:id', async (req, res) => {
    const id = idParam(req);
    store.require(id);
    await manager.remove(id);
    await store.delete(id);
    history.delete(id);
    ctx.onDeleted(id);
    res.status(204).end();
  });

  // No body: check the saved version. A body: it must be `{ "flow": <draft> }`, which is checked
  // instead; anything else is an error (answering "ok" about the saved flow would mislead).
  router.post('/flows/:id/validate', (req, res) => {
    const id = idParam(req);
    let target: unknown;
    if (!hasBody(req)) target = store.require(id).flow;
    else {
      if (req.body === undefined) {
        throw new RuntimeError(
          'E_BODY_INVALID',
          'send { "flow": <flow document> } as JSON (Content-Type: application/json), or no body to check the saved version',
          415,
          { problems: [{ code: 'E_BODY_INVALID', path: '', message: 'the body is not JSON' }] },
        );
      }
      const body = ValidateBody.safeParse(req.body);
      if (!body.success) {
        throw new RuntimeError(
          'E_BODY_INVALID',
          'send { "flow": <flow document> }, or no body to check the saved version',
          400,
          { problems: zodProblems(body.error) },
        );
      }
      target = body.data.flow;
    }
    const result = validator.check(target);
    if (result.ok) {
      res.json({ ok: true, problems: [] });
      return;
    }
    const capped = capProblems(result.problems);
    res.json({ ok: false, ...capped });
  });

  router.post('/flows/:id/deploy', async (req, res) => {
    const id = idParam(req);
    await manager.deploy(id);
    res.json(toRecord(store.require(id), manager));
  });

  router.post('/flows/:id/stop', async (req, res) => {
    const id = idParam(req);
    await manager.stop(id);
    res.json(toRecord(store.require(id), manager));
  });

  router.get('/flows/:id/export', (req, res) => {
    const stored = store.require(idParam(req));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    // Ids hold no quotes or slashes (IdSchema), so the name needs no escaping.
    res.setHeader('Content-Disposition', `attachment; filename="${stored.flow.id}.flow.json"`);
    res.send(serializeFlow(stored.flow));
  });

  router.get('/flows/:id/stats', (req, res) => {
    const id = idParam(req);
    if (!store.get(id)) throw notFound(id);
    const raw = req.query.since;
    const since = raw === undefined ? 0 : Number(raw);
    if (typeof raw !== 'undefined' && (typeof raw !== 'string' || !Number.isFinite(since))) {
      throw new RuntimeError('E_BAD_REQUEST', '`since` must be a time in milliseconds since the epoch', 400);
    }
    res.json({ snapshots: history.since(id, since) });
  });

  return router;
}
