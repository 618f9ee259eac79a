import { Router, type Request } from 'express';
import { serializeFlow, type FlowDocument, type FlowRecord, type FlowSummary } from '@tributary/shared';
import { RuntimeError, notFound } from '../errors.js';
import type { FlowManager } from '../host/flow-manager.js';
import type { StatsHistory } from '../metrics/stats-history.js';
import { checkFlowId, type FlowStore, type StoredFlow } from '../store/flow-store.js';
import type { PoolAnswer, PoolJob, ValidationPool } from '../validation-pool.js';
import { rawJsonBody } from './json-body.js';

export interface FlowRoutesContext {
  store: FlowStore;
  manager: FlowManager;
  history: StatsHistory;
  pool: ValidationPool;
  bodyLimitBytes: number;
  /** Called after a flow was deleted (metrics, history). */
  onDeleted(id: string): void;
}

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

function toSummary(stored: StoredFlow, manager: FlowManager): FlowSummary {
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

/** The raw JSON body (rawJsonBody leaves it undefined for other content types). */
function bodyBytes(req: Request): Buffer {
  if (!Buffer.isBuffer(req.body)) {
    throw new RuntimeError('E_BODY_INVALID', 'send the body as JSON, with Content-Type: application/json', 415, {
      problems: [{ code: 'E_BODY_INVALID', path: '', message: 'the body is not JSON' }],
    });
  }
  return req.body;
}

/** The answer of the validation worker as a flow, or the 400 that says what is wrong. */
function flowOf(answer: PoolAnswer, usage: string): { flow: FlowDocument; rev?: string } {
  switch (answer.kind) {
    case 'ok':
      return answer;
    case 'problems':
      throw new RuntimeError(
        'E_FLOW_INVALID',
        `the flow document has ${answer.problems.length + (answer.problemsOmitted ?? 0)} problem(s)`,
        400,
        { problems: answer.problems, ...(answer.problemsOmitted ? { problemsOmitted: answer.problemsOmitted } : {}) },
      );
    case 'json-invalid':
      throw new RuntimeError('E_JSON_INVALID', `the request body is not valid JSON: ${answer.message}`, 400, {
        problems: [{ code: 'E_JSON_INVALID', path: '', message: answer.message }],
      });
    case 'too-deep': {
      const message = `the JSON body nests deeper than ${answer.depth} levels`;
      throw new RuntimeError('E_JSON_TOO_DEEP', message, 400, {
        problems: [{ code: 'E_JSON_TOO_DEEP', path: '', message }],
      });
    }
    case 'body-invalid':
      throw new RuntimeError('E_BODY_INVALID', answer.message || usage, 400, {
        problems: answer.problems,
        ...(answer.problemsOmitted ? { problemsOmitted: answer.problemsOmitted } : {}),
      });
    case 'failed':
      throw new RuntimeError('E_FLOW_INVALID', `the document could not be checked: ${answer.message}`, 400);
  }
}

export function flowRoutes(ctx: FlowRoutesContext): Router {
  const { store, manager, history, pool } = ctx;
  const router = Router();
  const body = rawJsonBody(ctx.bodyLimitBytes);

  /** Parses and checks a request body on the validation worker. */
  const checkBody = async (req: Request, mode: PoolJob['mode'], envelope: 'doc' | 'validate' | 'update') =>
    pool.run({ kind: 'bytes', mode, bytes: bodyBytes(req), envelope });

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

  router.post('/flows', body, async (req, res) => {
    const { flow } = flowOf(await checkBody(req, 'parse', 'doc'), 'send a flow document');
    const stored = await withCurrent(() => store.create(flow));
    res.status(201).json(toRecord(stored, manager));
  });

  router.post('/flows/import', body, async (req, res) => {
    const { flow } = flowOf(await checkBody(req, 'parse', 'doc'), 'send a flow document');
    const replace = req.query.replace === 'true' || req.query.replace === '1';
    const stored = replace ? await store.put(flow) : await withCurrent(() => store.create(flow));
    res.status(201).json(toRecord(stored, manager));
  });

  router.get('/flows/:id', (req, res) => {
    res.json(toRecord(store.require(idParam(req)), manager));
  });

  router.put('/flows/:id', body, async (req, res) => {
    const id = idParam(req);
    store.require(id);
    const usage = 'send { "flow": <flow document>, "rev": "<rev you started from>" }';
    const { flow, rev } = flowOf(await checkBody(req, 'parse', 'update'), usage);
    const stored = await withCurrent(() => store.update(id, flow, rev ?? ''));
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
  router.post('/flows/:id/validate', body, async (req, res) => {
    const id = idParam(req);
    const answer = hasBody(req)
      ? await checkBody(req, 'check', 'validate')
      : await pool.run({ kind: 'doc', mode: 'check', doc: store.require(id).flow });
    if (answer.kind === 'ok') {
      res.json({ ok: true, problems: [] });
      return;
    }
    if (answer.kind === 'problems') {
      res.json({
        ok: false,
        problems: answer.problems,
        ...(answer.problemsOmitted ? { problemsOmitted: answer.problemsOmitted } : {}),
      });
      return;
    }
    flowOf(answer, 'send { "flow": <flow document> }, or no body to check the saved version');
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
