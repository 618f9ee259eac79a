import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateFlow, validateFlowText, type FlowDocument } from './index.js';
import { catalog } from './testing/test-catalog.js';

const fixture = () =>
  JSON.parse(readFileSync(new URL('./__fixtures__/orders.flow.json', import.meta.url), 'utf8')) as FlowDocument;
const problemsOf = (doc: unknown) => {
  const result = validateFlow(doc, catalog);
  return result.ok ? [] : result.problems;
};
const pick = (doc: unknown) => problemsOf(doc).map((p) => [p.code, p.path]);

describe('validateFlow', () => {
  it('accepts a good flow and fills config defaults', () => {
    const result = validateFlow(fixture(), catalog);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.flow.nodes[2]!.config).toEqual({ path: 'out.jsonl' });
  });

  it('reports unknown fields and wrong types with their JSON pointers, all at once', () => {
    const doc = fixture() as unknown as Record<string, unknown> & { nodes: Record<string, unknown>[] };
    doc.colour = 'blue';
    doc.nodes[0]!.position = { x: 'left', y: 0 };
    doc.nodes[1]!.wires = [];
    expect(pick(doc)).toEqual([
      ['E_SCHEMA', '/nodes/0/position/x'],
      ['E_SCHEMA', '/nodes/1'],
      ['E_SCHEMA', ''],
    ]);
    expect(problemsOf(doc).find((p) => p.path === '')!.message).toBe('unknown field: colour');
  });

  it('reports every graph problem of a bad flow together', () => {
    const doc = fixture();
    doc.nodes.push({ ...doc.nodes[2]!, id: 'enrich' }); // duplicate id
    doc.nodes.push({ id: 'mystery', type: 't-sinc', typeVersion: 1, position: { x: 0, y: 0 }, config: {} });
    doc.nodes[0]!.config = { count: -1 };
    doc.edges.push(
      { id: 'ghost', source: 'orders', sourcePort: 'out', target: 'nowhere', targetPort: 'in' },
      { id: 'from-sink', source: 'out', sourcePort: 'out', target: 'enrich', targetPort: 'in' },
      { id: 'into-source', source: 'enrich', sourcePort: 'out', target: 'orders', targetPort: 'in' },
      { id: 'bad-port', source: 'enrich', sourcePort: 'left', target: 'out', targetPort: 'in' },
    );
    const problems = problemsOf(doc);
    const codes = problems.map((p) => `${p.code} ${p.path}`);
    expect(codes).toContain('E_DUPLICATE_ID /nodes/3/id');
    expect(codes).toContain('E_UNKNOWN_NODE_TYPE /nodes/4/type');
    expect(codes).toContain('E_CONFIG_INVALID /nodes/0/config/count');
    expect(codes).toContain('E_EDGE_MISSING_NODE /edges/2/target');
    expect(codes).toContain('E_SINK_HAS_OUTPUT /edges/3/source');
    expect(codes).toContain('E_SOURCE_HAS_INPUT /edges/4/target');
    expect(codes).toContain('E_EDGE_MISSING_PORT /edges/5/sourcePort');
    expect(problems.find((p) => p.code === 'E_UNKNOWN_NODE_TYPE')!.message).toContain('did you mean "t-sink"');
    expect(problems.find((p) => p.code === 'E_DUPLICATE_ID')!.message).toContain('/nodes/1');
  });

  it('finds cycles and names the nodes on them', () => {
    const doc = fixture();
    doc.nodes.push({
      id: 'again',
      type: 't-handler',
      typeVersion: 2,
      position: { x: 0, y: 0 },
      config: { expression: '1' },
    });
    doc.edges.push(
      { id: 'a', source: 'enrich', sourcePort: 'other', target: 'again', targetPort: 'in' },
      { id: 'b', source: 'again', sourcePort: 'out', target: 'enrich', targetPort: 'in' },
    );
    const cycle = problemsOf(doc).find((p) => p.code === 'E_CYCLE')!;
    expect(cycle.message).toMatch(/enrich → again → enrich|again → enrich → again/);
  });

  it('allows a sink’s error port to be wired (dead-letter)', () => {
    const doc = fixture();
    doc.nodes.push({ id: 'dlq', type: 't-sink', typeVersion: 1, position: { x: 0, y: 0 }, config: {} });
    doc.edges.push({ id: 'dead', source: 'out', sourcePort: 'error', target: 'dlq', targetPort: 'in' });
    expect(problemsOf(doc)).toEqual([]);
  });

  it('refuses secrets in clear in nodes and connections, and accepts references', () => {
    const doc = fixture();
    doc.connections![0]!.config.password = 'hunter2';
    doc.nodes[0]!.config.password = 'hunter2';
    expect(pick(doc)).toEqual([
      ['E_SECRET_IN_CLEAR', '/connections/0/config/password'],
      ['E_SECRET_IN_CLEAR', '/nodes/0/config/password'],
    ]);
    doc.connections![0]!.config.password = '${cred:kafka}';
    doc.nodes[0]!.config.password = '${env:PW}';
    expect(problemsOf(doc)).toEqual([]);
  });

  it('checks connection references, their type and their config', () => {
    const doc = fixture();
    doc.nodes[0]!.config.connection = 'prod-kafka';
    expect(pick(doc)).toEqual([['E_CONNECTION_MISSING', '/nodes/0/config/connection']]);
    doc.connections!.push({ id: 'cache', type: 'redis', config: { url: 'redis://localhost' } });
    doc.nodes[0]!.config.connection = 'cache';
    expect(pick(doc)).toEqual([['E_CONNECTION_TYPE', '/nodes/0/config/connection']]);
    doc.nodes[0]!.config.connection = 'local-kafka';
    doc.connections![0]!.config = { brokers: [] };
    expect(pick(doc)).toEqual([['E_CONNECTION_INVALID', '/connections/0/config/brokers']]);
  });

  it('migrates node configs from older type versions and refuses newer ones', () => {
    const doc = fixture();
    doc.nodes[1] = { ...doc.nodes[1]!, typeVersion: 1, config: { expr: 'value + 1' } };
    const result = validateFlow(doc, catalog);
    expect(result.ok && result.flow.nodes[1]).toMatchObject({ typeVersion: 2, config: { expression: 'value + 1' } });
    doc.nodes[1] = { ...doc.nodes[1], typeVersion: 3 };
    expect(pick(doc)).toEqual([['E_TYPE_VERSION', '/nodes/1/typeVersion']]);
  });

  it('reports malformed JSON with its line and column', () => {
    const result = validateFlowText('{\n  "id": "x",\n  "name": oops\n}', catalog);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems[0]!.code).toBe('E_JSON_MALFORMED');
      expect(result.problems[0]!.message).toContain('line 3');
    }
  });

  it('refuses documents from a newer Tributary', () => {
    expect(pick({ ...fixture(), schemaVersion: 7 })).toEqual([['E_SCHEMA_VERSION', '/schemaVersion']]);
  });

  it('handles a 1,000-node flow', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({
      id: `n${i}`,
      type: i === 0 ? 't-source' : 't-handler',
      typeVersion: i === 0 ? 1 : 2,
      position: { x: i, y: 0 },
      config: i === 0 ? {} : { expression: 'value' },
    }));
    const edges = nodes
      .slice(1)
      .map((n, i) => ({ id: `e${i}`, source: `n${i}`, sourcePort: 'out', target: n.id, targetPort: 'in' }));
    const result = validateFlow({ schemaVersion: 1, id: 'big', name: 'Big', nodes, edges }, catalog);
    expect(result.ok).toBe(true);
  });
});
