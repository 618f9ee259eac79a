import { Kafka, logLevel } from 'kafkajs';
const kafka = new Kafka({ brokers: ['127.0.0.1:19092'], clientId: 'smoke', logLevel: logLevel.WARN });
const admin = kafka.admin(); await admin.connect();
const t0 = Date.now();
await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 3 }], waitForLeaders: true });
console.log('topics', await admin.listTopics(), Date.now() - t0);
const producer = kafka.producer({ idempotent: true }); await producer.connect();
const r = await producer.send({ topic: 'smoke', acks: -1, messages: [{ key: 'a', value: 'x' }, { key: 'b', value: 'y', headers: { h: '1' } }] });
console.log('sent', r);
const consumer = kafka.consumer({ groupId: 'g1' }); await consumer.connect();
await consumer.subscribe({ topic: 'smoke', fromBeginning: true });
let n = 0;
await new Promise((res) => consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async ({ batch, resolveOffset }) => {
  for (const m of batch.messages) { n++; resolveOffset(m.offset); }
  await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }]);
  console.log('batch', batch.partition, batch.messages.length, batch.highWatermark);
  if (n >= 2) res();
}}));
console.log('offsets', JSON.stringify(await admin.fetchOffsets({ groupId: 'g1', topics: ['smoke'] })));
console.log('topicOffsets', JSON.stringify(await admin.fetchTopicOffsets('smoke')));
await consumer.disconnect(); await producer.disconnect(); await admin.disconnect();
