/**
 * Worker thread that checks flow documents for the server, so that the cost of a hostile document
 * (300,000 config keys, 10,000 nodes, megabyte-long names) lands here and never on the thread
 * that answers /api/health, socket.io and every other request. Requests and answers are in
 * validation-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeJsonError, type FlowProblem } from '@tributary/shared';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { createValidator } from './node-types.js';
import type { PoolAnswer, PoolJob } from './validation-pool.js';

const port = parentPort;
if (port === null) throw new Error('validation-worker.js runs inside a worker thread only');
const { flowDataDir, maxProblems } = workerData as { flowDataDir: string; maxProblems: number };
const validator = createValidator({ flowDataDir });
const decoder = new TextDecoder('utf-8', { fatal: true });

const cap = (problems: FlowProblem[]) =>
  problems.length <= maxProblems
    ? { problems }
    : { problems: problems.slice(0, maxProblems), problemsOmitted: problems.length - maxProblems };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function answer(job: PoolJob): PoolAnswer {
  let doc: unknown;
  let rev: string | undefined;
  if (job.kind === 'doc') doc = job.doc;
  else {
    if (nestsDeeperThan(job.bytes, MAX_JSON_DEPTH)) return { kind: 'too-deep', depth: MAX_JSON_DEPTH };
    let text: string;
    try {
      text = decoder.decode(job.bytes);
    } catch {
      return {
        kind: 'body-invalid',
        message: 'the body is not valid UTF-8',
        problems: [{ code: 'E_BODY_INVALID', path: '', message: 'the body is not valid UTF-8' }],
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return { kind: 'json-invalid', message: describeJsonError(text, error) };
    }
    if (job.envelope === 'doc') doc = body;
    else {
      const wanted = job.envelope === 'update' ? ['flow', 'rev'] : ['flow'];
      const problems: FlowProblem[] = [];
      if (!isObject(body)) problems.push({ code: 'E_BODY_INVALID', path: '', message: 'expected an object' });
      else {
        for (const key of wanted)
          if (!Object.prototype.hasOwnProperty.call(body, key))
            problems.push({ code: 'E_BODY_INVALID', path: `/${key}`, message: `"${key}" is required` });
        for (const key of Object.keys(body).slice(0, 100))
          if (!wanted.includes(key))
            problems.push({
              code: 'E_BODY_INVALID',
              path: `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
              message: `unknown field: ${key.slice(0, 80)}`,
            });
        if (job.envelope === 'update' && body.rev !== undefined && (typeof body.rev !== 'string' || body.rev === ''))
          problems.push({
            code: 'E_BODY_INVALID',
            path: '/rev',
            message: 'expected the rev (a string) you started from',
          });
      }
      if (problems.length > 0) return { kind: 'body-invalid', message: '', ...cap(problems) };
      doc = (body as Record<string, unknown>).flow;
      if (job.envelope === 'update') rev = (body as { rev: string }).rev;
    }
  }
  const result = job.mode === 'parse' ? validator.parse(doc) : validator.check(doc);
  if (!result.ok) return { kind: 'problems', ...cap(result.problems) };
  return { kind: 'ok', flow: result.flow, ...(rev !== undefined ? { rev } : {}) };
}

port.on('message', ({ id, job }: { id: number; job: PoolJob }) => {
  let reply: PoolAnswer;
  try {
    reply = answer(job);
  } catch (error) {
    reply = { kind: 'failed', message: (error as Error).message };
  }
  port.postMessage({ id, reply });
});
