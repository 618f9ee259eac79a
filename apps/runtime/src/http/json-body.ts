import express, { type RequestHandler } from 'express';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';

export { MAX_JSON_DEPTH };

/** A body refused before parsing; the error handler turns it into a 400. */
export class JsonTooDeepError extends Error {
  readonly status = 400;
  readonly type = 'entity.too.deep';
  constructor(readonly depth: number) {
    super(`the JSON body nests deeper than ${depth} levels`);
  }
}

/**
 * The request body's bytes as a Buffer (JSON content types only), checked for size only: the
 * validation worker checks the depth and parses it, so none of that work lands on this thread.
 */
export function rawJsonBody(limitBytes: number): RequestHandler {
  return express.raw({ type: ['application/json', 'application/*+json'], limit: limitBytes });
}

/** express.json with a body size limit and the depth check done on the raw (decompressed) bytes. */
export function jsonBody(limitBytes: number, maxDepth = MAX_JSON_DEPTH): RequestHandler {
  return express.json({
    limit: limitBytes,
    verify: (_req, _res, buffer) => {
      if (nestsDeeperThan(buffer, maxDepth)) throw new JsonTooDeepError(maxDepth);
    },
  });
}
