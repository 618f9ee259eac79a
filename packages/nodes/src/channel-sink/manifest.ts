import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { channelConnectionField } from '../connections/channel.js';
import { codecField } from '../lib/codec-field.js';
import { required, ui } from '../lib/schema.js';

export const channelSinkManifest = defineManifest({
  type: 'channel-sink',
  typeVersion: 1,
  kind: 'sink',
  label: 'Channel sink',
  description: "Produces messages to topics over HTTP, in batches, through a streaming service's producer path",
  category: 'queues',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Sends messages as records to *Topic* through the service's producer path (OpenDXL:
\`POST …/produce\`; Confluent REST v2: \`POST /topics/{topic}\`), up to *Batch size* records per
request. The value is encoded with *Codec*, the message key becomes the record key (OpenDXL's
sharding key) and the headers go along where the dialect carries them (OpenDXL). A batch is
confirmed once the service accepted it; temporary failures are retried, a request the service
refuses for good sends its messages to the **error** port.
`.trim(),
  config: z.strictObject({
    connection: channelConnectionField(0),
    topic: z
      .string({ error: required('the topic to produce to') })
      .trim()
      .min(1, 'required: the topic to produce to')
      .max(249)
      .describe('Topic the records go to')
      .meta(ui({ label: 'Topic', placeholder: 'case-mgmt-events', order: 1 })),
    codec: codecField(2, 'How message values are written: json, string (UTF-8 text) or bytes'),
    batchSize: z
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('Most records per produce request')
      .meta(ui({ label: 'Batch size', advanced: true, order: 3 })),
  }),
});
