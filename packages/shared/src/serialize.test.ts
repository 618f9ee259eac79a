import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrateDocument, serializeFlow, validateFlowText, type FlowDocument } from './index.js';
import { catalog } from './testing/test-catalog.js';

const dir = new URL('./__fixtures__/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
/** Every fixture except the legacy input (it is in the old shape on purpose). */
const canonical = readdirSync(dir).filter((f) => f.endsWith('.flow.json') && f !== 'legacy-v0.flow.json');

describe('serializeFlow', () => {
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
