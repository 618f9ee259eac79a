import { defineNode, type NodeContext } from '@tributary/shared';
import { ChannelHttp, ChannelHttpError, channelConnectionOf } from '../connections/channel-client.js';
import { dialectFor, type OutgoingRecord } from '../connections/channel-dialect.js';
import { codecFor, CodecError } from '../lib/codecs.js';
import { channelSinkManifest } from './manifest.js';

/**
 * The `channel-sink`: produce requests of up to `batchSize` records; the batch is confirmed once
 * the service answered 2xx.
 *
 * @example
 * // config: { connection: 'dxl', topic: 'case-mgmt-events', codec: 'json' }
 */
export const channelSinkNode = defineNode(channelSinkManifest, (config, nodeCtx: NodeContext) => {
  const connection = channelConnectionOf(nodeCtx, config.connection);
  const dialect = dialectFor(connection);
  const codec = codecFor(config.codec);
  const http = new ChannelHttp(connection, nodeCtx.log, nodeCtx.stats);

  return {
    kind: 'processor',
    async process(batch, out) {
      const records: OutgoingRecord[] = [];
      const sources = [];
      for (const message of batch) {
        try {
          const encoded = codec.encode(message.value);
          if (encoded === null) throw new CodecError('a record needs a value: the value is null', 'E_ENCODE');
          records.push({
            topic: config.topic,
            key: message.key,
            payload: typeof encoded === 'string' ? Buffer.from(encoded) : encoded,
            headers: message.headers,
          });
          sources.push(message);
        } catch (error) {
          out.error(error, message);
        }
      }
      for (let i = 0; i < records.length; i += config.batchSize) {
        const chunk = records.slice(i, i + config.batchSize);
        for (const request of dialect.produce(chunk)) {
          try {
            const answer = await http.send(request, nodeCtx.signal);
            if (answer.status === 404)
              throw new ChannelHttpError(`no producer path ${request.path} (404)`, 404, answer.body);
            nodeCtx.stats.add('produced', chunk.length);
          } catch (error) {
            if (!(error instanceof ChannelHttpError) || error.status === 0) throw error; // temporary: the batch fails
            for (const message of sources.slice(i, i + config.batchSize)) out.error(error, message);
          }
        }
      }
    },
    async close() {
      await http.close();
    },
  };
});
