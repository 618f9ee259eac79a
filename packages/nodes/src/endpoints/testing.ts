/** Test helpers: a hub on its own port, and a NodeContext bound to it. Node-only, test use only. */
import type { IncomingMessage } from 'node:http';
import { EndpointHub, type Refusal } from './hub.js';

/** A hub listening on 127.0.0.1 (a free port); with `token`, requests need `Authorization: Bearer <token>`. */
export async function startTestHub(token?: string) {
  const authorize =
    token === undefined
      ? undefined
      : (req: IncomingMessage, url: URL): Refusal | null =>
          req.headers.authorization === `Bearer ${token}` || url.searchParams.get('access_token') === token
            ? null
            : { status: 401, code: 'E_UNAUTHORIZED', message: 'send Authorization: Bearer <token>' };
  const hub = new EndpointHub(authorize === undefined ? {} : { authorize });
  const listening = await hub.listen(0);
  return { hub, url: listening.url, server: listening.server, close: () => listening.close() };
}
