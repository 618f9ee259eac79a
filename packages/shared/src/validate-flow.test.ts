import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineManifest,
  parseFlowDocument,
  PROBLEM_CODES,
  validateFlow,
  validateFlowText,
  type FlowDocument,
  type FlowProblem,
  type NodeCatalog,
} from './index.js';
import { catalog, kafkaConnection, redisConnection, tHandler, tSink, tSource } from './testing/test-catalog.js';

const fixtureText = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}.flow.json`, import.meta.url), 'utf8');
const fixture = (name = 'orders') => JSON.parse(fixtureText(name)) as FlowDocument;
const problemsOf = (doc: unknown, against: NodeCatalog = catalog): FlowProblem[] => {
  const result = validateFlow(doc, against);
  return result.ok ? [] : result.problems;
};
const pick = (doc: unknown, against?: NodeCatalog) => problemsOf(doc, against).map((p) => [p.code, p.path]);

describe('validateFlow on good flows', () => {
  it('accepts a flow and returns it with config defaults filled in', () => {
    const result = validateFlow(fixture(), catalog);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.flow.nodes.map((n) => n.config)).toEqual([
      { connection: 'local-kafka', count: 5 },
      { expression: 'value * 2' },
      { path: 'out.jsonl' }, // the sink's default
    ]);
  });

  it('accepts the kitchen-sink fixture: error ports wired, a disabled unfinished node, secrets as references', () => {
    const result = validateFlow(fixture('kitchen-sink'), catalog);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    // The disabled node keeps its unfinished config as written; the others are parsed.
    expect(result.flow.nodes.find((n) => n.id === 'parked')!.config).toEqual({});
    expect(result.flow.nodes.find((n) => n.id === 'dead-letters')!.config).toEqual({ path: 'out.jsonl' });
  });

  it('does not modify its input', () => {
    const doc = fixture();
    const before = JSON.stringify(doc);
    validateFlow(doc, catalog);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('takes the catalogue as maps as well as lists', () => {
    const maps: NodeCatalog = {
      nodeTypes: new Map([tSource, tHandler, tSink].map((m) => [m.type, m])),
      connectionTypes: new Map([kafkaConnection, redisConnection].map((c) => [c.type, c])),
    };
    expect(validateFlow(fixture(), maps).ok).toBe(true);
  });
});

describe('validateFlow reports every problem at once', () => {
  it('finds one of each problem in invalid-many.flow.json, in a stable order, with JSON pointers', () => {
    const problems = problemsOf(fixture('invalid-many'));
    expect(problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      'E_SCHEMA /nodes/4/position/x',
      'E_SCHEMA /colour',
      'E_DUPLICATE_ID /nodes/2/id',
      'E_DUPLICATE_ID /edges/12/id',
      'E_DUPLICATE_ID /connections/2/id',
      'E_CONNECTION_INVALID /connections/0/config/brokers',
      'E_SECRET_IN_CLEAR /connections/0/config/password',
      'E_UNKNOWN_CONNECTION_TYPE /connections/1/type',
      'E_SECRET_IN_CLEAR /nodes/0/config/password',
      'E_CONFIG_INVALID /nodes/0/config/count',
      'E_CONNECTION_MISSING /nodes/0/config/connection',
      'E_TYPE_VERSION /nodes/1/typeVersion',
      'E_UNKNOWN_NODE_TYPE /nodes/3/type',
      'E_UNKNOWN_NODE_TYPE /nodes/4/type',
      'E_SECRET_IN_CLEAR /nodes/5/config/servers/1/token',
      'E_CONNECTION_TYPE /nodes/5/config/cache',
      'E_CONFIG_MIGRATION /nodes/6/config',
      'E_EDGE_MISSING_NODE /edges/3/target',
      'E_SINK_HAS_OUTPUT /edges/4/source',
      'E_SOURCE_HAS_INPUT /edges/5/target',
      'E_EDGE_MISSING_PORT /edges/6/sourcePort',
      'E_EDGE_MISSING_PORT /edges/7/targetPort',
      'E_DUPLICATE_EDGE /edges/9',
      'E_CYCLE /edges/2',
      'E_CYCLE /edges/11',
    ]);
    // Every code is in the catalogue, so the editor can show its help line.
    for (const p of problems) expect(Object.keys(PROBLEM_CODES)).toContain(p.code);
  });

  it('says which id is repeated and where it was first used, and which node or edge a problem is about', () => {
    const problems = problemsOf(fixture('invalid-many'));
    const byPath = (path: string) => problems.find((p) => p.path === path)!;
    expect(byPath('/nodes/2/id')).toMatchObject({
      message: 'id "orders" is already used by /nodes/0',
      nodeId: 'orders',
    });
    expect(byPath('/edges/12/id')).toMatchObject({
      message: 'id "orders->a" is already used by /edges/0',
      edgeId: 'orders->a',
    });
    expect(byPath('/connections/2/id').connectionId).toBe('local-kafka');
    expect(byPath('/nodes/4/position/x')).toMatchObject({
      message: 'Invalid input: expected number, received string',
      nodeId: 'half',
    });
    // Its shape is wrong, yet its type is still checked: every problem in one go.
    expect(byPath('/nodes/4/type').message).toBe('unknown node type "t-handlr" (did you mean "t-handler"?)');
    expect(byPath('/nodes/3/type').message).toBe('unknown node type "t-sinc" (did you mean "t-sink"?)');
    expect(byPath('/nodes/6/config').message).toContain('no config migration from typeVersion 2 to 3');
    expect(byPath('/edges/6/sourcePort').message).toContain('its outputs: out, error');
  });

  it('names the nodes on each cycle and the edge that closes it', () => {
    const cycles = problemsOf(fixture('invalid-many')).filter((p) => p.code === 'E_CYCLE');
    expect(cycles).toEqual([
      {
        code: 'E_CYCLE',
        path: '/edges/2',
        message: 'these nodes form a loop: a → b → a (flows must be acyclic)',
        nodeId: 'a',
        edgeId: 'b->a',
      },
      {
        code: 'E_CYCLE',
        path: '/edges/11',
        message: 'node "loop" feeds itself (flows must be acyclic)',
        nodeId: 'loop',
        edgeId: 'loop->loop',
      },
    ]);
  });

  it('reports shape problems and still checks the rest of the graph', () => {
    const doc = fixture() as unknown as { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] };
    doc.nodes[1]!.wires = [];
    doc.edges.push({ id: 'ghost', source: 'orders', sourcePort: 'out', target: 'nowhere', targetPort: 'in' });
    expect(pick(doc)).toEqual([
      ['E_SCHEMA', '/nodes/1/wires'],
      ['E_EDGE_MISSING_NODE', '/edges/2/target'],
    ]);
    // An edge to the malformed node is not reported as an edge to a missing node.
    expect(problemsOf(doc).find((p) => p.path === '/nodes/1/wires')!.message).toBe('unknown field: wires');
  });

  it('gives each unknown field, wrong type and missing field its own problem and pointer', () => {
    const doc = fixture() as unknown as Record<string, unknown> & { nodes: Record<string, unknown>[] };
    doc.colour = 'blue';
    doc.shade = 'dark';
    doc.nodes[0]!.position = { x: 'left', y: 0 };
    doc.nodes[1]!.typeVersion = 1.5;
    delete doc.nodes[2]!.typeVersion;
    expect(problemsOf(doc).map(({ code, path, message }) => ({ code, path, message }))).toEqual([
      { code: 'E_SCHEMA', path: '/nodes/0/position/x', message: 'Invalid input: expected number, received string' },
      {
        code: 'E_SCHEMA',
        path: '/nodes/1/typeVersion',
        message: 'Invalid input: expected a whole number, received 1.5',
      },
      { code: 'E_SCHEMA', path: '/nodes/2/typeVersion', message: '"typeVersion" is required (expected number)' },
      { code: 'E_SCHEMA', path: '/colour', message: 'unknown field: colour' },
      { code: 'E_SCHEMA', path: '/shade', message: 'unknown field: shade' },
    ]);
  });

  it('reports a document that is not an object at all', () => {
    expect(pick('a flow')).toEqual([['E_SCHEMA', '']]);
    expect(pick({ schemaVersion: 1, id: 'x', name: 'x', nodes: 'none', edges: [] })).toEqual([['E_SCHEMA', '/nodes']]);
  });

  it('refuses "__proto__" keys in configs instead of losing them (zod copies configs key by key)', () => {
    const text = fixtureText('orders')
      .replace('"count": 5', '"count": 5, "__proto__": { "count": 9 }')
      .replace('"brokers": [', '"extra": { "__proto__": {} }, "brokers": [');
    const result = validateFlowText(text, { nodeTypes: catalog.nodeTypes });
    expect(result.ok ? [] : result.problems).toEqual([
      {
        code: 'E_SCHEMA',
        path: '/nodes/0/config/__proto__',
        message: '"__proto__" cannot be used as a field name',
        nodeId: 'orders',
      },
      {
        code: 'E_SCHEMA',
        path: '/connections/0/config/extra/__proto__',
        message: '"__proto__" cannot be used as a field name',
        connectionId: 'local-kafka',
      },
    ]);
  });

  it('escapes JSON pointer segments', () => {
    const doc = fixture('kitchen-sink');
    doc.nodes[1]!.config.servers = [{ host: 'a', 'to/k~en': 1 }];
    const map = defineManifest({
      ...catalogType('t-map'),
      config: z.object({ servers: z.array(z.strictObject({ host: z.string() })) }),
    });
    expect(pick(doc, { nodeTypes: [...otherTypes('t-map'), map], connectionTypes: catalog.connectionTypes })).toEqual([
      ['E_CONFIG_INVALID', '/nodes/1/config/servers/0/to~1k~0en'],
    ]);
  });
});

function catalogType(type: string) {
  return (catalog.nodeTypes as readonly (typeof tSource)[]).find((m) => m.type === type)!;
}
function otherTypes(type: string) {
  return (catalog.nodeTypes as readonly (typeof tSource)[]).filter((m) => m.type !== type);
}

describe('validateFlow: kinds and ports', () => {
  it('allows wiring a sink’s error port (dead-letter) but no other output of a sink', () => {
    const doc = fixture();
    doc.nodes.push({ id: 'dlq', type: 't-sink', typeVersion: 1, position: { x: 0, y: 0 }, config: {} });
    doc.edges.push({ id: 'dead', source: 'out', sourcePort: 'error', target: 'dlq', targetPort: 'in' });
    expect(problemsOf(doc)).toEqual([]);
    doc.edges.push({ id: 'more', source: 'out', sourcePort: 'out', target: 'dlq', targetPort: 'in' });
    expect(pick(doc)).toEqual([['E_SINK_HAS_OUTPUT', '/edges/3/source']]);
  });

  it('does not check ports of nodes whose type is unknown (the unknown type is the problem)', () => {
    const doc = fixture();
    doc.nodes[1]!.type = 'retired-handler';
    expect(pick(doc)).toEqual([['E_UNKNOWN_NODE_TYPE', '/nodes/1/type']]);
  });
});

describe('validateFlow: configs', () => {
  it('migrates node configs from older type versions and returns them at the current version', () => {
    const doc = fixture();
    doc.nodes[1] = { ...doc.nodes[1]!, typeVersion: 1, config: { expr: 'value + 1' } };
    const result = validateFlow(doc, catalog);
    expect(result.ok && result.flow.nodes[1]).toMatchObject({ typeVersion: 2, config: { expression: 'value + 1' } });
  });

  it('says when a config problem is in the upgraded config', () => {
    const doc = fixture();
    doc.nodes[1] = { ...doc.nodes[1]!, typeVersion: 1, config: { expr: 5 } };
    expect(problemsOf(doc)).toEqual([
      {
        code: 'E_CONFIG_INVALID',
        path: '/nodes/1/config/expression',
        message: 'Invalid input: expected string, received number (config upgraded from typeVersion 1)',
        nodeId: 'enrich',
      },
    ]);
  });

  it('refuses configs from a newer node type', () => {
    const doc = fixture();
    doc.nodes[1] = { ...doc.nodes[1]!, typeVersion: 3 };
    expect(problemsOf(doc)).toEqual([
      {
        code: 'E_TYPE_VERSION',
        path: '/nodes/1/typeVersion',
        message: '"t-handler" typeVersion 3 is newer than the installed one (2): upgrade the node type',
        nodeId: 'enrich',
      },
    ]);
  });

  it('reports a config migration that throws, naming the step', () => {
    const doc = fixture();
    doc.nodes.push({ id: 'b', type: 't-broken', typeVersion: 1, position: { x: 0, y: 0 }, config: { explode: 1 } });
    expect(problemsOf(doc)).toEqual([
      {
        code: 'E_CONFIG_MIGRATION',
        path: '/nodes/3/config',
        message: 't-broken: config migration from typeVersion 1 to 2 failed: cannot read "explode"',
        nodeId: 'b',
      },
    ]);
  });

  it('reports each config problem under /nodes/i/config, with the node id', () => {
    const doc = fixture();
    doc.nodes[1]!.config = {};
    doc.nodes[2]!.config = { path: 7 };
    expect(problemsOf(doc)).toEqual([
      {
        code: 'E_CONFIG_INVALID',
        path: '/nodes/1/config/expression',
        message: '"expression" is required (expected string)',
        nodeId: 'enrich',
      },
      {
        code: 'E_CONFIG_INVALID',
        path: '/nodes/2/config/path',
        message: 'Invalid input: expected string, received number',
        nodeId: 'out',
      },
    ]);
  });

  it('reports the closest alternative of a union instead of a bare "Invalid input"', () => {
    const shaped = defineManifest({
      ...tSink,
      type: 't-shaped',
      config: z.object({
        target: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('file'), path: z.string() }),
          z.object({ kind: z.literal('url'), url: z.url() }),
        ]),
        size: z.union([z.number(), z.object({ max: z.number() })]),
      }),
    });
    const doc = fixture();
    doc.nodes[2] = {
      ...doc.nodes[2]!,
      type: 't-shaped',
      config: { target: { kind: 'url', url: 7 }, size: { max: 'big' } },
    };
    expect(pick(doc, { nodeTypes: [tSource, tHandler, shaped], connectionTypes: catalog.connectionTypes })).toEqual([
      ['E_CONFIG_INVALID', '/nodes/2/config/target/url'],
      ['E_CONFIG_INVALID', '/nodes/2/config/size/max'],
    ]);
  });
});

describe('validateFlow: connections and secrets', () => {
  it('checks connection references: defined, and of the type the field asks for', () => {
    const doc = fixture();
    doc.nodes[0]!.config.connection = 'prod-kafka';
    expect(problemsOf(doc)).toEqual([
      {
        code: 'E_CONNECTION_MISSING',
        path: '/nodes/0/config/connection',
        message: `connection "prod-kafka" is not defined in this flow's connections (add a kafka connection)`,
        nodeId: 'orders',
      },
    ]);
    doc.connections!.push({ id: 'cache', type: 'redis', config: { url: 'redis://localhost' } });
    doc.nodes[0]!.config.connection = 'cache';
    expect(pick(doc)).toEqual([['E_CONNECTION_TYPE', '/nodes/0/config/connection']]);
  });

  it('checks connection configs against their type, and unknown types only when types were given', () => {
    const doc = fixture();
    doc.connections![0]!.config = { brokers: [] };
    doc.connections!.push({ id: 'docs', type: 'mongo', config: {} });
    expect(pick(doc)).toEqual([
      ['E_CONNECTION_INVALID', '/connections/0/config/brokers'],
      ['E_UNKNOWN_CONNECTION_TYPE', '/connections/1/type'],
    ]);
    expect(problemsOf(doc, { nodeTypes: catalog.nodeTypes })).toEqual([]);
  });

  it('refuses secrets in clear in nodes, connections, arrays and disabled nodes; accepts references', () => {
    const doc = fixture('kitchen-sink');
    doc.connections![0]!.config.password = 'hunter2';
    doc.nodes[0]!.config.password = 'hunter2';
    doc.nodes[1]!.config.servers = [
      { host: 'a', token: '${cred:ok}' },
      { host: 'b', token: 'pre-${env:X}' },
    ];
    doc.nodes[1]!.disabled = true;
    expect(pick(doc)).toEqual([
      ['E_SECRET_IN_CLEAR', '/connections/0/config/password'],
      ['E_SECRET_IN_CLEAR', '/nodes/0/config/password'],
      ['E_SECRET_IN_CLEAR', '/nodes/1/config/servers/1/token'],
    ]);
    doc.connections![0]!.config.password = '${cred:kafka}';
    doc.nodes[0]!.config.password = '${env:PW}';
    doc.nodes[1]!.config.servers = [{ host: 'b', token: '${env:B_TOKEN}' }];
    expect(problemsOf(doc)).toEqual([]);
  });

  it('finds secret and connection fields inside records and unions', () => {
    const vault = defineManifest({
      ...tSink,
      type: 't-vault',
      config: z.object({
        tokens: z.record(z.string(), z.string().meta({ ui: { secret: true } })),
        auth: z
          .discriminatedUnion('mode', [
            z.object({ mode: z.literal('none') }),
            z.object({
              mode: z.literal('basic'),
              password: z.string().meta({ ui: { widget: 'secret' } }),
              via: z.string().meta({ ui: { widget: 'connection', connectionType: 'redis' } }),
            }),
          ])
          .optional(),
      }),
    });
    const doc = fixture();
    doc.nodes[2] = {
      ...doc.nodes[2]!,
      type: 't-vault',
      config: { tokens: { a: '${env:A}', b: 'clear' }, auth: { mode: 'basic', password: 'pw', via: 'local-kafka' } },
    };
    expect(pick(doc, { nodeTypes: [tSource, tHandler, vault], connectionTypes: catalog.connectionTypes })).toEqual([
      ['E_SECRET_IN_CLEAR', '/nodes/2/config/tokens/b'],
      ['E_SECRET_IN_CLEAR', '/nodes/2/config/auth/password'],
      ['E_CONNECTION_TYPE', '/nodes/2/config/auth/via'],
    ]);
  });

  it('returns connection configs parsed by their type', () => {
    const result = validateFlow(fixture(), catalog);
    expect(result.ok && result.flow.connections![0]!.config).toEqual({
      brokers: ['localhost:9092'],
      password: '${env:KAFKA_PASSWORD}',
    });
  });
});

describe('document versions', () => {
  it('migrates a v0 document before validating it', () => {
    const result = validateFlowText(fixtureText('legacy-v0'), catalog);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (result.ok) expect(result.flow.nodes[1]).toMatchObject({ typeVersion: 2, config: { expression: 'value > 0' } });
  });

  it('refuses documents from a newer Tributary and says nothing else about them', () => {
    expect(problemsOf({ ...fixture(), schemaVersion: 7, extra: true })).toEqual([
      {
        code: 'E_SCHEMA_VERSION',
        path: '/schemaVersion',
        message: 'schemaVersion 7 is newer than this Tributary understands (1); upgrade Tributary to open it',
      },
    ]);
  });
});

describe('validateFlowText', () => {
  it('reports malformed JSON with its line and column', () => {
    const result = validateFlowText('{\n  "id": "x",\n  "name": oops\n}', catalog);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => [p.code, p.path])).toEqual([['E_JSON_MALFORMED', '']]);
    expect(problems[0]!.message).toMatch(/^not valid JSON at line 3, column 11: /);
  });

  it('reads a file with a byte-order mark', () => {
    expect(validateFlowText('\ufeff' + fixtureText('orders'), catalog).ok).toBe(true);
  });
});

describe('parseFlowDocument (structure only, for drafts)', () => {
  it('accepts a draft whose configs are unfinished and whose node types are unknown', () => {
    const doc = fixture();
    doc.nodes[1]!.config = {};
    doc.nodes[1]!.type = 'not-installed';
    const result = parseFlowDocument(doc);
    expect(result.ok && result.flow.nodes[1]!.config).toEqual({});
  });

  it('reports shape problems with pointers, after migrating old documents', () => {
    expect(parseFlowDocument({ ...fixture(), nodes: [{ id: 'x' }] })).toMatchObject({
      ok: false,
      problems: [
        { code: 'E_SCHEMA', path: '/nodes/0/type' },
        { code: 'E_SCHEMA', path: '/nodes/0/typeVersion' },
        { code: 'E_SCHEMA', path: '/nodes/0/config' },
      ],
    });
    expect(parseFlowDocument(JSON.parse(fixtureText('legacy-v0'))).ok).toBe(true);
  });
});

describe('hand-written flows', () => {
  it('accepts nodes without a position (editor metadata)', () => {
    const doc = fixture();
    for (const node of doc.nodes) delete (node as { position?: unknown }).position;
    const result = validateFlow(doc, catalog);
    expect(result.ok).toBe(true);
  });

  it('reports graph problems of nodes whose shape is wrong elsewhere, all in one go', () => {
    const doc = {
      schemaVersion: 1,
      id: 'hand',
      name: 'Hand-written',
      nodes: [
        { id: 'src', type: 't-source', typeVersion: 1, config: {}, colour: 'red' },
        { id: 'src', type: 't-sink', typeVersion: 1, config: {} },
        { id: 'odd', type: 't-nope', label: 7 },
        { id: 'h', type: 't-handler', typeVersion: 2, config: { expression: 'true' } },
      ],
      edges: [
        { id: 'h->src', source: 'h', sourcePort: 'out', target: 'src', targetPort: 'in' },
        { id: 'h->h', source: 'h', sourcePort: 'out', target: 'h', targetPort: 'in' },
      ],
    };
    expect(problemsOf(doc).map((p) => `${p.code} ${p.path}`)).toEqual([
      'E_SCHEMA /nodes/0/colour',
      'E_SCHEMA /nodes/2/typeVersion',
      'E_SCHEMA /nodes/2/label',
      'E_SCHEMA /nodes/2/config',
      'E_DUPLICATE_ID /nodes/1/id',
      'E_UNKNOWN_NODE_TYPE /nodes/2/type',
      'E_SOURCE_HAS_INPUT /edges/0/target',
      'E_CYCLE /edges/1',
    ]);
  });
});

describe('large flows', () => {
  it('validates a 1,000-node flow and reports a problem deep inside it', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({
      id: `n${i}`,
      type: i === 0 ? 't-source' : i === 999 ? 't-sink' : 't-handler',
      typeVersion: i === 0 || i === 999 ? 1 : 2,
      position: { x: i * 10, y: 0 },
      config: i === 0 || i === 999 ? {} : { expression: `value + ${i}` },
    }));
    const edges = nodes
      .slice(1)
      .map((n, i) => ({ id: `e${i}`, source: `n${i}`, sourcePort: 'out', target: n.id, targetPort: 'in' }));
    const doc = { schemaVersion: 1, id: 'big', name: 'Big', nodes, edges };
    expect(validateFlow(doc, catalog).ok).toBe(true);
    nodes[500]!.config = {};
    edges.push({ id: 'back', source: 'n900', sourcePort: 'out', target: 'n100', targetPort: 'in' });
    expect(pick(doc)).toEqual([
      ['E_CONFIG_INVALID', '/nodes/500/config/expression'],
      ['E_CYCLE', '/edges/999'],
    ]);
  });
});

describe('suggestions for unknown node types', () => {
  it.each([
    ['t-sinks', '(did you mean "t-sink"?)', true],
    ['t-sikn', '(did you mean "t-sink"?)', true],
    ['source', '(did you mean "t-source"?)', true],
    ['zzz', 'did you mean', false],
  ])('%s', (type, text, expected) => {
    const doc = fixture();
    doc.nodes[2]!.type = type;
    expect(problemsOf(doc)[0]!.message.includes(text)).toBe(expected);
  });
});

describe('validateFlow refuses a node that would hold more than its sources let be unconfirmed', () => {
  const queue = defineManifest({
    type: 'queue-source',
    typeVersion: 1,
    kind: 'source',
    label: 'Queue',
    description: 'stops reading at maxInFlight unconfirmed messages',
    category: 'test',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({ maxInFlight: z.int().default(100) }),
    maxUnconfirmed: (config) => config.maxInFlight as number,
  });
  const windowed = defineManifest({
    type: 'holder',
    typeVersion: 1,
    kind: 'handler',
    label: 'Holder',
    description: 'holds up to maxHeld inputs',
    category: 'test',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.object({ maxHeld: z.int().default(1000) }),
    maxHeld: (config) => config.maxHeld as number,
  });
  const against: NodeCatalog = { nodeTypes: [queue, windowed, tHandler, tSink] };
  const doc = (maxHeld: number, maxInFlight: number): FlowDocument => ({
    schemaVersion: 1,
    id: 'holds',
    name: 'holds',
    nodes: [
      { id: 'q', type: 'queue-source', typeVersion: 1, position: { x: 0, y: 0 }, config: { maxInFlight } },
      { id: 'w', type: 'holder', typeVersion: 1, position: { x: 0, y: 0 }, config: { maxHeld } },
    ],
    edges: [{ id: 'e', source: 'q', sourcePort: 'out', target: 'w', targetPort: 'in' }],
  });

  it('names both nodes and both limits', () => {
    const problems = problemsOf(doc(500, 100), against);
    expect(problems.map((p) => [p.code, p.path, p.nodeId])).toEqual([['E_HOLD_DEADLOCK', '/nodes/1/config', 'w']]);
    expect(problems[0]!.message).toContain('up to 500');
    expect(problems[0]!.message).toContain('source "q" stops reading at 100');
  });

  it('accepts a node that holds fewer than the source allows', () => {
    expect(problemsOf(doc(99, 100), against)).toEqual([]);
  });
});

describe('bounded work on hostile documents', () => {
  it('does not look for a suggestion for a megabyte-long type, and quotes it cut short', () => {
    const doc = fixture();
    doc.nodes[2]!.type = 't-sink' + 'k'.repeat(1_000_000);
    const started = performance.now();
    const [problem] = problemsOf(doc);
    const elapsed = performance.now() - started;
    expect(problem!.message).not.toContain('did you mean');
    expect(problem!.message.length).toBeLessThan(200);
    expect(problem!.message).toContain('(1000006 chars)');
    // Not a speed target: a full edit-distance matrix here took many seconds; anything near that is a regression.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('reports more than 125,000 problems without overflowing the stack', () => {
    const doc = fixture();
    // Edges with nothing but an id: four shape problems each (spreading them once overflowed the stack).
    (doc as { edges: unknown[] }).edges = Array.from({ length: 33_000 }, (_, i) => ({ id: `e${i}` }));
    const problems = problemsOf(doc);
    expect(problems.length).toBeGreaterThan(130_000);
    expect(problems.every((p) => p.path.startsWith('/edges/'))).toBe(true);
  });
});
