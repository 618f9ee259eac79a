import type { ErrorRequestHandler, Response } from 'express';
import type { FlowProblem } from '@tributary/shared';
import { RuntimeError, type RuntimeErrorCode } from '../errors.js';

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    problems?: unknown[];
    /** How many problems were found beyond those listed. */
    problemsOmitted?: number;
    current?: unknown;
    nodeId?: string;
  };
}

/** Most problems one answer lists; a hostile document can have hundreds of thousands. */
export const MAX_PROBLEMS_LISTED = 1000;

/** The first `MAX_PROBLEMS_LISTED` problems and how many more there were. */
export function capProblems(problems: readonly FlowProblem[]): { problems: FlowProblem[]; problemsOmitted?: number } {
  if (problems.length <= MAX_PROBLEMS_LISTED) return { problems: [...problems] };
  return { problems: problems.slice(0, MAX_PROBLEMS_LISTED), problemsOmitted: problems.length - MAX_PROBLEMS_LISTED };
}

export function sendError(res: Response, status: number, code: RuntimeErrorCode, message: string, extra: object = {}) {
  const fields: Record<string, unknown> = { ...extra };
  let text = message;
  // Every refusal lists its problems, each with a JSON pointer ('' when it is about the request as a whole).
  if (status >= 400 && status < 500 && !Array.isArray(fields.problems)) fields.problems = [{ code, path: '', message }];
  if (Array.isArray(fields.problems)) {
    const capped = capProblems(fields.problems as FlowProblem[]);
    fields.problems = capped.problems;
    const omitted =
      (typeof fields.problemsOmitted === 'number' ? fields.problemsOmitted : 0) + (capped.problemsOmitted ?? 0);
    if (omitted > 0) {
      fields.problemsOmitted = omitted;
      text += ` (the first ${capped.problems.length} are listed; ${omitted} more not shown)`;
    }
  }
  const body: ErrorBody = { error: { code, message: text, ...fields } };
  res.status(status).json(body);
}

/** Errors from body-parser, the router and zlib carry some of these. */
interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  code?: string;
  limit?: number;
  message?: string;
}

/**
 * Turns every error into `{ error: { code, message } }` with a 4xx status where the client can act,
 * or a bare 500 (details go to the server log only): never HTML, never a stack trace.
 */
export function errorHandler(options: { bodyLimitBytes: number; log: (message: string) => void }): ErrorRequestHandler {
  const handle: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof RuntimeError) {
      sendError(res, error.status, error.code, error.message, error.extra);
      return;
    }
    const parser = (error ?? {}) as HttpishError;
    if (parser.type === 'entity.too.large') {
      sendError(
        res,
        413,
        'E_PAYLOAD_TOO_LARGE',
        `the request body is larger than the ${formatBytes(options.bodyLimitBytes)} limit`,
      );
      return;
    }
    if (parser.type === 'entity.too.deep') {
      sendError(res, 400, 'E_JSON_TOO_DEEP', parser.message ?? 'the JSON body nests too deep', {
        problems: [{ code: 'E_JSON_TOO_DEEP', path: '', message: parser.message ?? 'too deep' }],
      });
      return;
    }
    if (parser.type === 'entity.parse.failed') {
      const message = `the request body is not valid JSON: ${parser.message ?? 'parse error'}`;
      sendError(res, 400, 'E_JSON_INVALID', message, {
        problems: [{ code: 'E_JSON_INVALID', path: '', message }],
      });
      return;
    }
    // zlib refusing a body sent with Content-Encoding gzip/deflate/br that is not compressed that way.
    if (typeof parser.code === 'string' && /^(Z_|ERR_ZLIB|ERR__?BROTLI)/.test(parser.code)) {
      sendError(
        res,
        400,
        'E_BAD_REQUEST',
        `the request body does not match its Content-Encoding "${String(req.headers['content-encoding']).slice(0, 40)}"`,
      );
      return;
    }
    if (error instanceof URIError) {
      sendError(res, 400, 'E_BAD_REQUEST', 'the URL has malformed percent-encoding');
      return;
    }
    const status = parser.status ?? parser.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Other refusals (unsupported charset or encoding, aborted request, undecodable URL parameter).
      sendError(res, status, 'E_BAD_REQUEST', (parser.message ?? 'bad request').slice(0, 200));
      return;
    }
    options.log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, 500, 'E_INTERNAL', 'internal error (details are in the server log)');
  };
  return (error, req, res, next) => {
    try {
      handle(error, req, res, next);
    } catch (failure) {
      // Answering failed (an error that cannot be serialized?): a fixed JSON body, never Express's HTML page.
      options.log(`error handler failed: ${(failure as Error).message}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.end('{"error":{"code":"E_INTERNAL","message":"internal error (details are in the server log)"}}');
      } else res.destroy();
    }
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} bytes`;
}
