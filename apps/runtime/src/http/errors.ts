import type { ErrorRequestHandler, Response } from 'express';
import { RuntimeError, type RuntimeErrorCode } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; problems?: unknown[]; current?: unknown; nodeId?: string };
}

export function sendError(res: Response, status: number, code: RuntimeErrorCode, message: string, extra: object = {}) {
  const body: ErrorBody = { error: { code, message, ...extra } };
  res.status(status).json(body);
}

/** body-parser's errors carry a `type` and a `status`. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
}

/**
 * Turns every error into `{ error: { code, message } }` with a 4xx status where the client can act,
 * or a bare 500 (details go to the server log only): never a stack trace.
 */
export function errorHandler(options: { bodyLimitBytes: number; log: (message: string) => void }): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof RuntimeError) {
      sendError(res, error.status, error.code, error.message, error.extra);
      return;
    }
    const parser = (error ?? {}) as BodyParserError;
    if (parser.type === 'entity.too.large') {
      sendError(
        res,
        413,
        'E_PAYLOAD_TOO_LARGE',
        `the request body is larger than the ${formatBytes(options.bodyLimitBytes)} limit`,
      );
      return;
    }
    if (parser.type === 'entity.parse.failed') {
      sendError(res, 400, 'E_JSON_INVALID', `the request body is not valid JSON: ${parser.message ?? 'parse error'}`);
      return;
    }
    if (parser.type !== undefined && typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
      // Other body-parser refusals (unsupported charset or encoding, aborted request): the client's to fix.
      sendError(res, parser.status, 'E_BAD_REQUEST', parser.message ?? 'bad request');
      return;
    }
    options.log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, 500, 'E_INTERNAL', 'internal error (details are in the server log)');
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} bytes`;
}
