import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowDocumentSchema, type FlowDocument } from '@tributary/shared';
import { RuntimeError } from '../errors.js';
import { tempDir } from '../testing/server-harness.js';
import { FlowStore, checkFlowId } from './flow-store.js';

const parse = (raw: unknown) => {
  const parsed = FlowDocumentSchema.safeParse(raw);
  return parsed.success ? parsed.data : parsed.error.message;
};
const doc = (id: string, name = 'A flow'): FlowDocument => ({ schemaVersion: 1, id, name, nodes: [], edges: [] });
const open = (dir: string, warnings: string[] = []) => FlowStore.open(dir, (w) => warnings.push(w), parse);

describe('FlowStore', () => {
  it('keeps flows across reopening, with the same rev for the same content', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const saved = await store.create(doc('a'));
    await store.setDeployed('a', saved.flow);
    const reopened = await open(dir);
    expect(reopened.get('a')).toMatchObject({
      flow: doc('a'),
      rev: saved.rev,
      meta: { deployed: true, deployedRev: saved.rev },
    });
    expect(reopened.deployedFlow('a')).toEqual(doc('a'));
  });

  it('runs the deployed version after a restart even when a newer one was saved', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const v1 = await store.create(doc('a', 'v1'));
    await store.setDeployed('a', v1.flow);
    await store.update('a', doc('a', 'v2'), v1.rev);
    const reopened = await open(dir);
    expect(reopened.get('a')!.flow.name).toBe('v2');
    expect(reopened.deployedFlow('a')!.name).toBe('v1');
  });

  it('rejects a stale rev and keeps the newer document on disk', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const v1 = await store.create(doc('a', 'v1'));
    await store.update('a', doc('a', 'v2'), v1.rev);
    await expect(store.update('a', doc('a', 'v3'), v1.rev)).rejects.toMatchObject({
      code: 'E_REV_CONFLICT',
      status: 409,
    });
    expect(JSON.parse(readFileSync(join(dir, 'flows', 'a.flow.json'), 'utf8'))).toMatchObject({ name: 'v2' });
  });

  it('lets exactly one of two concurrent updates from the same rev win', async () => {
    const store = await open(tempDir());
    const v1 = await store.create(doc('a', 'v1'));
    const results = await Promise.allSettled([
      store.update('a', doc('a', 'x'), v1.rev),
      store.update('a', doc('a', 'y'), v1.rev),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  it('leaves no temp files behind and writes pretty, key-ordered JSON', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.create(doc('a'));
    await store.update('a', doc('a', 'b'), store.get('a')!.rev);
    expect(readdirSync(join(dir, 'flows')).sort()).toEqual(['a.flow.json', 'a.meta.json']);
    expect(readFileSync(join(dir, 'flows', 'a.flow.json'), 'utf8')).toMatch(/^\{\n {2}"/);
  });

  it('refuses ids that could name a path outside the folder', () => {
    for (const id of ['../x', 'a/b', '..', '.', '', 'a\\b', '%2e']) {
      expect(() => checkFlowId(id)).toThrow(RuntimeError);
    }
    expect(checkFlowId('orders.v2:enrich>out')).toBe('orders.v2:enrich>out');
  });

  it('skips a broken file on start and says why, keeping the others', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.create(doc('good'));
    writeFileSync(join(dir, 'flows', 'broken.flow.json'), '{ "schemaVersion": 1, ');
    const warnings: string[] = [];
    const reopened = await open(dir, warnings);
    expect(reopened.list().map((s) => s.flow.id)).toEqual(['good']);
    expect(warnings.join('\n')).toContain('broken.flow.json');
    expect(readFileSync(join(dir, 'flows', 'broken.flow.json'), 'utf8')).toBe('{ "schemaVersion": 1, '); // untouched
  });
});
