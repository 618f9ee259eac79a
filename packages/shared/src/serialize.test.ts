import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  migrateDocument,
  parseFlowDocument,
  parseFlowJson,
  serializeFlow,
  validateFlowText,
  type FlowDocument,
} from './index.js';
import { catalog } from './testing/test-catalog.js';

const dir = new URL('./__fixtures__/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
/** Every fixture except the legacy input (it is in the old shape on purpose). */
const canonical = readdirSync(dir).filter((f) => f.endsWith('.flow.json') && f !== 'legacy-v0.flow.json');

describe('serializeFlow', () => {
  it('keeps the editor metadata (comments, groups) last, and refuses a malformed note by its path', () => {
    const doc = {
      schemaVersion: 1,
      id: 'notes',
      name: 'Notes',
      nodes: [],
      edges: [],
      editor: { notes: [{ id: 'c1', kind: 'comment', text: 'Why this filter', position: { x: 1, y: 2 } }] },
    };
    const parsed = parseFlowDocument(doc);
    expect(parsed.ok).toBe(true);
    const text = serializeFlow(doc as FlowDocument);
    expect(text.indexOf('"editor"')).toBeGreaterThan(text.indexOf('"edges"'));
    expect(parseFlowJson(text)).toMatchObject({ ok: true, flow: { editor: doc.editor } });
    const bad = parseFlowDocument({
      ...doc,
      editor: { notes: [{ id: 'c1', kind: 'sticker', text: '', position: { x: 0, y: 0 } }] },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems[0]?.path).toBe('/editor/notes/0/kind');
  });

  it('has fixtures to check', () => {
    expect(canonical).toEqual(expect.arrayContaining(['orders.flow.json', 'kitchen-sink.flow.json']));
  });

  it.each(canonical)('is byte-identical on load → save: %s', (name) => {
    const text = read(name);
    expect(serializeFlow(JSON.parse(text) as FlowDocument)).toBe(text);
  });

  it('is byte-identical after validation, which fills in defaults only where the file had none', () => {
    const text = read('orders.flow.json');
    const result = validateFlowText(text, catalog);
    expect(result.ok).toBe(true);
    // The sink's default path was filled in: exactly one line more, nothing else moved.
    const saved = result.ok ? serializeFlow(result.flow) : '';
    expect(saved.replace('"config": {\n        "path": "out.jsonl"\n      }', '"config": {}')).toBe(text);
  });

  it('writes fields in canonical order whatever order they came in, other keys sorted', () => {
    const text = read('kitchen-sink.flow.json');
    const doc = JSON.parse(text) as FlowDocument;
    const reversed = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversed);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reversed(v)]),
      );
    };
    expect(serializeFlow(reversed(doc) as FlowDocument)).toBe(text);
  });

  it('sorts integer-like keys as strings too (a plain object would list them first)', () => {
    const out = serializeFlow({
      schemaVersion: 1,
      id: 'x',
      name: 'X',
      nodes: [{ id: 'n', type: 't', typeVersion: 1, position: { y: 2, x: 1 }, config: { b: 1, 10: 2, 2: 3, a: 4 } }],
      edges: [],
    });
    expect(out).toContain('"config": {\n        "10": 2,\n        "2": 3,\n        "a": 4,\n        "b": 1\n      }');
    expect(out).toContain('"position": {\n        "x": 1,\n        "y": 2\n      }');
  });

  it('puts unknown document fields after the known ones, so nothing is lost', () => {
    const doc = { zeta: 1, schemaVersion: 1, id: 'x', name: 'X', alpha: true, nodes: [], edges: [] };
    expect(serializeFlow(doc as FlowDocument)).toBe(
      '{\n  "schemaVersion": 1,\n  "id": "x",\n  "name": "X",\n  "nodes": [],\n  "edges": [],\n  "alpha": true,\n  "zeta": 1\n}\n',
    );
  });

  it('leaves out undefined fields, writes what JSON.stringify would for other values, ends with a newline', () => {
    const config = { when: new Date(0), nothing: undefined, nan: Number.NaN, list: [undefined, 1], empty: {} };
    const doc = {
      schemaVersion: 1,
      id: 'x',
      name: 'X',
      description: undefined,
      nodes: [{ id: 'n', type: 't', typeVersion: 1, position: { x: 0, y: 0 }, config }],
      edges: [],
    } as FlowDocument;
    const out = serializeFlow(doc);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out).not.toContain('description');
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('writes a migrated v0 document as the committed v1 file', () => {
    const migrated = migrateDocument(JSON.parse(read('legacy-v0.flow.json')));
    expect(migrated.ok && serializeFlow(migrated.doc as FlowDocument)).toBe(read('legacy-v0.migrated.flow.json'));
  });
});

describe('parseFlowJson', () => {
  it.each(['orders.flow.json', 'kitchen-sink.flow.json', 'legacy-v0.migrated.flow.json'])(
    'pairs with serializeFlow: load → save is byte-identical through the schema: %s',
    (name) => {
      const text = read(name);
      const loaded = parseFlowJson(text);
      expect(loaded.ok ? [] : loaded.problems).toEqual([]);
      expect(loaded.ok && serializeFlow(loaded.flow)).toBe(text);
    },
  );

  it('loads an older document as the current version', () => {
    const loaded = parseFlowJson(read('legacy-v0.flow.json'));
    expect(loaded.ok && serializeFlow(loaded.flow)).toBe(read('legacy-v0.migrated.flow.json'));
  });

  it('keeps node configs as written: checking them against node types is validateFlow’s job', () => {
    const text = read('orders.flow.json').replace('"count": 5', '"count": "five", "colour": "red"');
    const loaded = parseFlowJson(text);
    expect(loaded.ok && loaded.flow.nodes[0]!.config).toEqual({
      connection: 'local-kafka',
      count: 'five',
      colour: 'red',
    });
    // Nothing is dropped or reordered on the way through: the file's own canonical form comes back.
    expect(loaded.ok && serializeFlow(loaded.flow)).toBe(serializeFlow(JSON.parse(text) as FlowDocument));
  });

  it('reports malformed JSON with its line and column, and a wrong shape with JSON pointers', () => {
    const malformed = parseFlowJson('{\n  "id": "x",\n}');
    expect(malformed.ok ? [] : malformed.problems.map((p) => [p.code, p.path])).toEqual([['E_JSON_MALFORMED', '']]);
    expect(malformed.ok || malformed.problems[0]!.message).toMatch(/^not valid JSON at line 3, column 1: /);
    const text = read('orders.flow.json').replace(
      '"name": "Orders enrichment"',
      '"name": "Orders enrichment",\n  "owner": "me"',
    );
    expect(parseFlowJson(text)).toEqual({
      ok: false,
      problems: [{ code: 'E_SCHEMA', path: '/owner', message: 'unknown field: owner' }],
    });
  });
});
