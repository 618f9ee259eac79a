import { defineNode, type StreamEvent } from '@tributary/shared';
import { codecFor } from '../lib/codecs.js';
import { sseEndpointManifest } from './manifest.js';

export const sseEndpointNode = defineNode(sseEndpointManifest, async (config, ctx) => {
  const codec = codecFor(config.codec);
  const stream = await ctx.endpoints.eventStream(config.path, {
    replay: config.replay,
    retryMs: config.retryMs,
    pingMs: config.pingMs,
    maxClientBufferBytes: config.clientBufferBytes,
  });
  ctx.log.info(`serving ${stream.path}`);
  const figures = setInterval(() => {
    ctx.stats.set('clients', stream.clients);
    ctx.stats.set('droppedClients', stream.droppedClients);
  }, 1000);
  figures.unref();
  return {
    kind: 'processor',
    async process(batch, out) {
      const events: StreamEvent[] = [];
      for (const message of batch) {
        let data: string;
        try {
          const encoded = codec.encode(message.value);
          data = encoded === null ? '' : typeof encoded === 'string' ? encoded : encoded.toString('utf8');
        } catch (error) {
          out.error(error, message);
          continue;
        }
        const type = config.event ?? (typeof message.meta.event === 'string' ? message.meta.event : undefined);
        events.push(type === undefined ? { data } : { event: type, data });
      }
      // Confirmed once in the replay buffer (see the docs): no client acknowledges an event stream.
      await stream.publish(events);
    },
    close() {
      clearInterval(figures);
      stream.close();
    },
  };
});
