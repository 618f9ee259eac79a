// Speed of validateFlow / serializeFlow on large flows (run after a build): `pnpm --filter @tributary/shared bench`.
// Prints a table and a JSON line. Speed goals live here, never in unit tests.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineConnectionType, defineManifest, serializeFlow, validateFlow } from '../dist/index.js';

const secret = () =>
  z
    .string()
    .optional()
    .meta({ ui: { secret: true } });
const manifests = [
  defineManifest({
    type: 'b-source',
    typeVersion: 1,
    kind: 'source',
    label: 'Source',
    description: '',
    category: 'bench',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({
      connection: z.string().meta({ ui: { widget: 'connection', connectionType: 'kafka' } }),
      topic: z.string().min(1),
      password: secret(),
    }),
  }),
  defineManifest({
    type: 'b-handler',
    typeVersion: 2,
    kind: 'handler',
    label: 'Handler',
    description: '',
    category: 'bench',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.object({
      expression: z.string().min(1),
      retries: z.int().min(0).default(3),
      headers: z.record(z.string(), z.string()).default({}),
      token: secret(),
    }),
    migrations: { 1: ({ expr, ...rest }) => ({ ...rest, expression: expr }) },
  }),
  defineManifest({
    type: 'b-sink',
    typeVersion: 1,
    kind: 'sink',
    label: 'Sink',
    description: '',
    category: 'bench',
    inputs: [{ name: 'in' }],
    outputs: [],
    config: z.object({ path: z.string().default('out.jsonl') }),
  }),
];
const kafka = defineConnectionType({
  type: 'kafka',
  label: 'Kafka',
  description: '',
  config: z.object({ brokers: z.array(z.string()).min(1), password: secret() }),
});

function flow(size) {
  const nodes = [];
  const edges = [];
  const sources = Math.max(1, Math.floor(size / 50));
  for (let i = 0; i < size; i++) {
    const kind = i < sources ? 'source' : i >= size - sources ? 'sink' : 'handler';
    nodes.push({
      id: `n${i}`,
      type: `b-${kind}`,
      typeVersion: kind === 'handler' ? 1 + (i % 2) : 1,
      position: { x: i, y: i % 17 },
      config:
        kind === 'source'
          ? { connection: 'k', topic: `t${i}`, password: '${env:PW}' }
          : kind === 'sink'
            ? {}
            : i % 2
              ? { expression: `value + ${i}`, headers: { a: '1' }, token: '${cred:t}' }
              : { expr: `value + ${i}` },
    });
    if (kind !== 'source') {
      // Each node is fed by one of the three before it, never by a sink.
      const from = Math.max(0, i - 1 - (i % 3));
      const source = from >= size - sources ? sources - 1 : from;
      edges.push({ id: `e${i}`, source: `n${source}`, sourcePort: 'out', target: `n${i}`, targetPort: 'in' });
    }
  }
  return {
    schemaVersion: 1,
    id: 'bench',
    name: 'Bench',
    connections: [{ id: 'k', type: 'kafka', config: { brokers: ['localhost:9092'] } }],
    nodes,
    edges,
  };
}

const catalog = { nodeTypes: manifests, connectionTypes: [kafka] };
const rows = [];
for (const size of [100, 1000, 5000]) {
  const doc = flow(size);
  const first = validateFlow(doc, catalog);
  if (!first.ok) throw new Error(`bench flow is invalid: ${JSON.stringify(first.problems.slice(0, 3))}`);
  const runs = size >= 5000 ? 10 : 30;
  let t = performance.now();
  for (let i = 0; i < runs; i++) validateFlow(doc, catalog);
  const validateMs = (performance.now() - t) / runs;
  t = performance.now();
  for (let i = 0; i < runs; i++) serializeFlow(doc);
  const serializeMs = (performance.now() - t) / runs;
  t = performance.now();
  for (let i = 0; i < runs; i++) JSON.stringify(doc, null, 2);
  const stringifyMs = (performance.now() - t) / runs;
  rows.push({
    nodes: size,
    edges: doc.edges.length,
    validateMs: +validateMs.toFixed(2),
    serializeMs: +serializeMs.toFixed(2),
    plainStringifyMs: +stringifyMs.toFixed(2), // peer: JSON.stringify without canonical order
  });
}
console.table(rows);
console.log(JSON.stringify({ bench: 'shared-validate', rows }));
