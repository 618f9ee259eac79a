import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMessage } from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import { messages, runNode } from '../testing/index.js';
import { fileNode } from './runtime.js';

let dataDir: string;
let outside: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'file-sink-'));
  outside = mkdtempSync(join(tmpdir(), 'file-sink-outside-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('file sink', () => {
  it('appends messages as JSON lines, creating folders, across runs', async () => {
    const first = createMessage({ key: 'a', value: { n: 1 }, headers: { h: 'v' }, timestamp: 10 });
    await runNode(fileNode, { path: 'out/data.jsonl' }, { dataDir, inputs: [[first], messages(2n)] });
    await runNode(
      fileNode,
      { path: 'out/data.jsonl', content: 'value', sync: 'none' },
      { dataDir, inputs: messages('x', undefined) },
    );
    expect(lines(join(dataDir, 'out/data.jsonl'))).toEqual([
      { key: 'a', value: { n: 1 }, headers: { h: 'v' }, timestamp: 10 },
      expect.objectContaining({ key: null, value: '2' }),
      'x',
      null,
    ]);
  });

  it('has the batch on disk when process resolves, and reports lines written', async () => {
    const path = join(dataDir, 'output.jsonl');
    const result = await runNode(fileNode, {}, { dataDir, inputs: messages(1, 2, 3), keepOpen: true });
    // keepOpen: the handle is still open, yet the lines are already in the file.
    expect(lines(path).map((l) => (l as { value: number }).value)).toEqual([1, 2, 3]);
    expect(result.stats.written).toBe(3);
  });

  it('writes meta too when there is any, e.g. the error of a dead letter', async () => {
    const dead = createMessage({
      value: 'bad',
      timestamp: 1,
      meta: { error: { code: 'E_X', message: 'boom', nodeId: 'parse' } },
    });
    await runNode(fileNode, { path: 'dead.jsonl' }, { dataDir, inputs: [dead] });
    expect(lines(join(dataDir, 'dead.jsonl'))).toEqual([
      {
        key: null,
        value: 'bad',
        headers: {},
        timestamp: 1,
        meta: { error: { code: 'E_X', message: 'boom', nodeId: 'parse' } },
      },
    ]);
  });

  it('sends values that are not JSON to the error port and writes the rest', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const result = await runNode(
      fileNode,
      { path: 'x.jsonl', content: 'value' },
      { dataDir, inputs: messages(1, cyclic, 3) },
    );
    expect(lines(join(dataDir, 'x.jsonl'))).toEqual([1, 3]);
    expect(result.errors.map((e) => e.code)).toEqual(['E_NOT_JSON']);
  });

  it.each([
    ['../escape.jsonl', /must not contain "\.\."/],
    ['out/../../escape.jsonl', /must not contain "\.\."/],
    ['/etc/tributary.jsonl', /outside the flow's data folder/],
  ])('refuses %s', async (path, message) => {
    const error = await runNode(fileNode, { path }, { dataDir, inputs: messages(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts an absolute path inside the data folder', async () => {
    await runNode(fileNode, { path: join(dataDir, 'abs.jsonl'), content: 'value' }, { dataDir, inputs: messages(1) });
    expect(lines(join(dataDir, 'abs.jsonl'))).toEqual([1]);
  });

  it('refuses a folder symlink that leads out of the data folder, and writes nothing there', async () => {
    symlinkSync(outside, join(dataDir, 'link'));
    await expect(runNode(fileNode, { path: 'link/x.jsonl' }, { dataDir, inputs: messages(1) })).rejects.toThrow(
      /through a symbolic link/,
    );
    await expect(runNode(fileNode, { path: 'link/deeper/x.jsonl' }, { dataDir, inputs: messages(1) })).rejects.toThrow(
      /through a symbolic link/,
    );
    expect(() => readFileSync(join(outside, 'x.jsonl'))).toThrow();
  });

  it('refuses a file symlink, even one pointing outside through a valid folder', async () => {
    const target = join(outside, 'victim.jsonl');
    writeFileSync(target, '');
    mkdirSync(join(dataDir, 'out'));
    symlinkSync(target, join(dataDir, 'out', 'x.jsonl'));
    await expect(runNode(fileNode, { path: 'out/x.jsonl' }, { dataDir, inputs: messages(1) })).rejects.toThrow(
      /is a symbolic link/,
    );
    expect(readFileSync(target, 'utf8')).toBe('');
  });

  it('refuses a path that is a folder', async () => {
    mkdirSync(join(dataDir, 'dir'));
    await expect(runNode(fileNode, { path: 'dir' }, { dataDir })).rejects.toThrow(/is a folder/);
  });
});
