import { describe, expect, it } from 'vitest';
import type { FlowLogEntry, NodeErrorEvent } from '@tributary/shared';
import { addEntry, createLogStore, LOG_CAP, visibleEntries, type Incoming } from './log-store.js';

const line = (patch: Partial<Incoming> = {}): Incoming => ({
  at: 1000,
  level: 'info',
  nodeId: 'a',
  code: undefined,
  message: 'hello',
  count: 1,
  origin: 'log',
  ...patch,
});

const log = (patch: Partial<FlowLogEntry> = {}): FlowLogEntry => ({
  flowId: 'f',
  at: 1000,
  level: 'info',
  nodeId: 'a',
  message: 'hello',
  ...patch,
});

const nodeError = (patch: Partial<NodeErrorEvent> = {}): NodeErrorEvent => ({
  flowId: 'f',
  nodeId: 'fn',
  code: 'E_FUNCTION_THREW',
  message: 'boom',
  at: 2000,
  count: 1,
  ...patch,
});

describe('addEntry', () => {
  it('folds a recent repeat into one line, moved to the top with the counts added', () => {
    let entries = addEntry([], line({ message: 'x', origin: 'error', level: 'error', count: 3 }));
    entries = addEntry(entries, line({ at: 1100, message: 'other' }));
    entries = addEntry(entries, line({ at: 1200, message: 'x', origin: 'error', level: 'error', count: 4 }));
    expect(entries.map((e) => [e.message, e.count])).toEqual([
      ['x', 7],
      ['other', 1],
    ]);
    expect(entries[0]!.at).toBe(1200);
    expect(entries[0]!.firstAt).toBe(1000);
  });

  it('does not fold lines of another node or level, or a repeat long after', () => {
    let entries = addEntry([], line());
    entries = addEntry(entries, line({ nodeId: 'b' }));
    entries = addEntry(entries, line({ level: 'warn' }));
    entries = addEntry(entries, line({ at: 1000 + 61_000 }));
    expect(entries).toHaveLength(4);
  });

  it('keeps at most the cap, newest first', () => {
    let entries = addEntry([], line({ message: 'm0' }));
    for (let i = 1; i < LOG_CAP + 50; i++) entries = addEntry(entries, line({ message: `m${i}` }));
    expect(entries).toHaveLength(LOG_CAP);
    expect(entries[0]!.message).toBe(`m${LOG_CAP + 49}`);
    expect(entries.at(-1)!.message).toBe('m50');
  });
});

describe('visibleEntries', () => {
  it('filters by level and node', () => {
    let entries = addEntry([], line({ level: 'debug' }));
    entries = addEntry(entries, line({ level: 'error', nodeId: 'b' }));
    const levels = { debug: false, info: true, warn: true, error: true };
    expect(visibleEntries(entries, { levels, nodeId: undefined }).map((e) => e.nodeId)).toEqual(['b']);
    expect(visibleEntries(entries, { levels: { ...levels, debug: true }, nodeId: 'a' })).toHaveLength(1);
  });
});

describe('log store', () => {
  it('keeps the lines of its flow only, and counts unseen lines while closed', () => {
    const store = createLogStore();
    store.getState().reset('f');
    store.getState().addLog(log({ flowId: 'other' }));
    store.getState().addLog(log({ level: 'info' }));
    expect(store.getState().entries).toHaveLength(1);
    expect(store.getState().unseen).toBe(1);
    expect(store.getState().unseenSevere).toBe(false);
    store.getState().addError(nodeError());
    expect(store.getState().unseen).toBe(2);
    expect(store.getState().unseenSevere).toBe(true);
    store.getState().setOpen(true);
    expect(store.getState().unseen).toBe(0);
    store.getState().addLog(log({ message: 'seen' }));
    expect(store.getState().unseen).toBe(0);
  });

  it('shows an error that reached no error port once, whichever of its two events comes first', () => {
    const store = createLogStore();
    store.getState().reset('f');
    store.getState().addError(nodeError({ at: 2000 }));
    store.getState().addLog(log({ at: 2000, level: 'error', nodeId: 'fn', message: 'E_FUNCTION_THREW: boom' }));
    store.getState().addLog(log({ at: 3000, level: 'error', nodeId: 'fn', message: 'E_FUNCTION_THREW: boom' }));
    store.getState().addError(nodeError({ at: 3000, count: 5 }));
    const entries = store.getState().entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ origin: 'error', code: 'E_FUNCTION_THREW', count: 6 });
  });

  it('logs state changes, not the state sent on subscribing (unless it is a failure)', () => {
    const store = createLogStore();
    store.getState().reset('f');
    const status = (state: 'running' | 'failed' | 'stopped', reason?: string) =>
      store.getState().addStatus({ flowId: 'f', state, at: 1, ...(reason ? { reason, nodeId: 'fn' } : {}) });
    status('running');
    expect(store.getState().entries).toEqual([]);
    status('running');
    status('failed', 'node "fn" did not answer for 5 s');
    status('stopped');
    expect(store.getState().entries.map((e) => [e.level, e.message, e.nodeId])).toEqual([
      ['info', 'stopped', undefined],
      ['error', 'failed: node "fn" did not answer for 5 s', 'fn'],
    ]);
    store.getState().reset('f');
    status('failed', 'boom');
    expect(store.getState().entries).toHaveLength(1);
  });

  it('a new flow starts with an empty panel', () => {
    const store = createLogStore();
    store.getState().reset('f');
    store.getState().addLog(log());
    store.getState().setNodeFilter('a');
    store.getState().reset('g');
    expect(store.getState().entries).toEqual([]);
    expect(store.getState().nodeId).toBeUndefined();
  });
});
