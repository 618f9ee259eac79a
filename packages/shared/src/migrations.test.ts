import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_MIGRATIONS, migrateDocument, migrateNodeConfig, type DocumentMigrationStep } from './index.js';
import { tBroken, tHandler } from './testing/test-catalog.js';

const legacy = () =>
  JSON.parse(readFileSync(new URL('./__fixtures__/legacy-v0.flow.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

describe('document migrations', () => {
  it('has one step per version, in order', () => {
    DOCUMENT_MIGRATIONS.forEach((step, i) => expect(step.from).toBe(i));
  });

  it('upgrades a v0 document: ports from handles, config and label out of data, React Flow state dropped', () => {
    const input = legacy();
    const before = JSON.stringify(input);
    const migrated = migrateDocument(input);
    expect(migrated).toMatchObject({ ok: true, from: 0, applied: [DOCUMENT_MIGRATIONS[0]!.description] });
    if (!migrated.ok) return;
    const doc = migrated.doc as { nodes: unknown[]; edges: unknown[] } & Record<string, unknown>;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.name).toBe('legacy'); // v0 had no names: the id stands in
    expect(doc).not.toHaveProperty('viewport');
    expect(doc.nodes[0]).toEqual({
      id: 'ticks',
      type: 't-source',
      typeVersion: 1,
      label: 'Ticks',
      position: { x: 0, y: 0 },
      config: { count: 2 },
    });
    expect(doc.edges).toEqual([
      { id: 'e1', source: 'ticks', sourcePort: 'out', target: 'check', targetPort: 'in' },
      { id: 'check:out->out:in', source: 'check', sourcePort: 'out', target: 'out', targetPort: 'in' },
    ]);
    expect(JSON.stringify(input)).toBe(before); // the input is left alone
  });

  it('keeps v0 data it does not know, so the validator reports it instead of losing it', () => {
    const input = legacy();
    (input.nodes as Record<string, unknown>[])[0]!.data = { config: {}, colour: 'red' };
    (input.edges as Record<string, unknown>[])[0]!.data = { note: 'hot path' };
    const migrated = migrateDocument(input);
    const doc = (migrated.ok ? migrated.doc : {}) as {
      nodes: Record<string, unknown>[];
      edges: Record<string, unknown>[];
    };
    expect(doc.nodes[0]!.data).toEqual({ colour: 'red' });
    expect(doc.edges[0]!.data).toEqual({ note: 'hot path' });
  });

  it('gives generated edge ids that do not collide', () => {
    const migrated = migrateDocument({
      id: 'x',
      nodes: [],
      edges: [
        { id: 'a:out->b:in', source: 'a', target: 'b' },
        { source: 'a', target: 'b' },
        { source: 'a', target: 'b' },
      ],
    });
    const edges = (migrated.ok ? (migrated.doc as { edges: { id: string }[] }).edges : []).map((e) => e.id);
    expect(edges).toEqual(['a:out->b:in', 'a:out->b:in-2', 'a:out->b:in-3']);
  });

  it('passes current documents and non-objects through untouched', () => {
    const doc = { schemaVersion: 1, id: 'x', name: 'x', nodes: [], edges: [] };
    expect(migrateDocument(doc)).toEqual({ ok: true, doc, from: 1, applied: [] });
    expect(migrateDocument('text')).toMatchObject({ ok: true, doc: 'text' });
  });

  it('refuses a newer schemaVersion', () => {
    expect(migrateDocument({ schemaVersion: 2 })).toMatchObject({ ok: false, code: 'E_SCHEMA_VERSION', from: 2 });
  });

  it('runs a chain of steps in order and names the one that fails', () => {
    const steps: DocumentMigrationStep[] = [
      { from: 0, description: 'zero to one', up: (d) => ({ ...d, schemaVersion: 1, trail: ['0→1'] }) },
      {
        from: 1,
        description: 'one to two',
        up: (d) => ({ ...d, schemaVersion: 2, trail: [...(d.trail as string[]), '1→2'] }),
      },
      {
        from: 2,
        description: 'two to three',
        up: () => {
          throw new Error('boom');
        },
      },
    ];
    expect(migrateDocument({ id: 'x' }, { steps, target: 2 })).toEqual({
      ok: true,
      from: 0,
      doc: { id: 'x', schemaVersion: 2, trail: ['0→1', '1→2'] },
      applied: ['zero to one', 'one to two'],
    });
    expect(migrateDocument({ schemaVersion: 1, trail: [] }, { steps, target: 3 })).toEqual({
      ok: false,
      code: 'E_MIGRATION_FAILED',
      from: 1,
      message: 'upgrading from schemaVersion 2 (two to three) failed: boom',
    });
    expect(migrateDocument({ schemaVersion: 1 }, { steps: [], target: 2 })).toMatchObject({
      ok: false,
      message: 'no migration from schemaVersion 1',
    });
  });
});

describe('node config migrations', () => {
  it('runs each step from the saved typeVersion to the current one', () => {
    expect(migrateNodeConfig(tHandler, 1, { expr: 'value > 1' })).toEqual({ expression: 'value > 1' });
    expect(migrateNodeConfig(tHandler, 2, { expression: 'x' })).toEqual({ expression: 'x' });
  });

  it('says which step is missing or failed, naming the node type', () => {
    expect(() => migrateNodeConfig(tBroken, 1, {})).toThrow('t-broken: no config migration from typeVersion 2 to 3');
    expect(() => migrateNodeConfig(tBroken, 1, { explode: true })).toThrow(
      't-broken: config migration from typeVersion 1 to 2 failed: cannot read "explode"',
    );
    expect(() => migrateNodeConfig(tHandler, 3, {})).toThrow('newer than the installed one');
    const nothing = { ...tHandler, migrations: { 1: () => null as unknown as Record<string, unknown> } };
    expect(() => migrateNodeConfig(nothing, 1, {})).toThrow('returned no object');
  });
});
