import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type RequestHandler, Router } from 'express';

const NOT_SPA = /^\/(api|metrics|socket\.io)(\/|$)/;

/**
 * Serves the built editor from the same port: files as they are, and index.html for any other
 * page a browser asks for (client-side routes). Without a build, `/` says how to make one.
 */
export function editorRoutes(editorDir: string | undefined): Router {
  const router = Router();
  const index = editorDir === undefined ? undefined : join(editorDir, 'index.html');
  if (editorDir === undefined || index === undefined || !existsSync(index)) {
    router.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send(
          'Tributary runtime: the API is under /api. The editor is not built: run `pnpm --filter @tributary/editor build`.\n',
        );
    });
    return router;
  }
  router.use(express.static(editorDir, { index: false, maxAge: '1h', setHeaders: noCacheForHtml }));
  const spa: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_SPA.test(req.path) || !req.accepts('html')) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  };
  router.use(spa);
  return router;
}

function noCacheForHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
