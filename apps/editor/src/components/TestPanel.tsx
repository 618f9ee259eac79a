import { useState } from 'react';
import type { NodeKind } from '@tributary/shared';
import { api, ApiFailure, type NodeTestOutcome } from '../api.js';
import { useDoc } from '../session.js';
import { useTap } from '../tap-store.js';
import { prettyValue } from '../units.js';

/** A plain test's time; one that talks to a service (a connection, a sink) gets longer to connect. */
const PLAIN_TIMEOUT_MS = 3000;
const SERVICE_TIMEOUT_MS = 10_000;

/**
 * Sends one sample message through the selected node on the runtime (`POST /api/node-test`: a
 * worker of its own, time-limited, nothing of the flow touched) and shows what comes out — Node-RED
 * users' inject and debug, for one node. The sample is typed as JSON, or taken from the edge tap.
 * The flow's connections go along as the document holds them (secrets as references, resolved on
 * the runtime), so a Redis cache or a database lookup runs against the real service; a sink writes
 * for real, so only once the user ticked that it may.
 */
export function TestPanel({ id, type, kind }: { id: string; type: string; kind: NodeKind }) {
  const [value, setValue] = useState('{ "example": 1 }');
  const [key, setKey] = useState('');
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState<NodeTestOutcome | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [write, setWrite] = useState(false);
  const connections = useDoc((s) => s.docMeta.connections);
  const sink = kind === 'sink';
  const timeoutMs = sink || (connections?.length ?? 0) > 0 ? SERVICE_TIMEOUT_MS : PLAIN_TIMEOUT_MS;
  // The newest message tapped on an edge into this node, if the tap has one.
  const tapped = useTap((s) => (s.edgeId?.endsWith(`>${id}:in`) ? s.messages[0] : undefined));

  const run = async () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value) as unknown;
    } catch (e) {
      setError(`The sample value is not valid JSON (${(e as Error).message}).`);
      return;
    }
    const node = useDoc.getState().nodes.find((n) => n.id === id);
    if (!node) return;
    setRunning(true);
    setError(undefined);
    try {
      setOutcome(
        await api.nodeTest({
          type,
          nodeId: id,
          config: node.data.config,
          message: { value: parsed, key: key || null },
          ...(connections?.length ? { connections } : {}),
          ...(sink ? { writeToTarget: write } : {}),
          timeoutMs,
        }),
      );
    } catch (e) {
      setOutcome(undefined);
      setError(e instanceof ApiFailure ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <details className="test-panel" data-testid="test-panel">
      <summary>Test this node</summary>
      <p className="help muted">
        Runs this node alone on the runtime with one message (at most {timeoutMs / 1000} s); the flow is not touched.
        {connections?.length ? ' It reaches the real services of the flow’s connections.' : ''}
      </p>
      <div className="field">
        <label htmlFor="test-value">Sample value (JSON)</label>
        <textarea id="test-value" rows={4} value={value} onChange={(e) => setValue(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="test-key">Key</label>
        <input id="test-key" type="text" value={key} placeholder="none" onChange={(e) => setKey(e.target.value)} />
      </div>
      {sink && (
        <label className="test-write">
          <input
            type="checkbox"
            checked={write}
            onChange={(e) => setWrite(e.target.checked)}
            data-testid="test-write"
          />
          Really send it: this sink writes the message to its target (a request, a row, a record)
        </label>
      )}
      <div className="test-actions">
        <button
          className="primary"
          onClick={() => void run()}
          disabled={running || (sink && !write)}
          data-testid="test-run"
        >
          {running ? 'Running…' : 'Run'}
        </button>
        <button
          type="button"
          disabled={!tapped}
          title={tapped ? 'The newest message tapped on the edge into this node' : 'Tap an edge into this node first'}
          onClick={() => {
            if (!tapped) return;
            setValue(JSON.stringify(tapped.value, null, 2) ?? 'null');
            setKey(tapped.key ?? '');
          }}
        >
          Use tapped message
        </button>
      </div>
      {error && <div className="problem">{error}</div>}
      {outcome && <Outcome outcome={outcome} sink={sink} />}
    </details>
  );
}

function Outcome({ outcome, sink }: { outcome: NodeTestOutcome; sink: boolean }) {
  if (outcome.kind === 'config')
    return (
      <div className="test-result" data-testid="test-result">
        {outcome.problems.map((p, i) => (
          <pre key={i} className="problem">
            {p.message}
          </pre>
        ))}
      </div>
    );
  if (outcome.kind !== 'ran')
    return (
      <div className="test-result problem" data-testid="test-result">
        {outcome.kind === 'timeout' ? 'Stopped: ' : ''}
        {outcome.message}
      </div>
    );
  const ports = Object.entries(outcome.outputs);
  const total = ports.reduce((n, [, m]) => n + m.length, 0);
  return (
    <div className="test-result" data-testid="test-result">
      <div className="muted">
        {total === 0 && outcome.errors.length === 0
          ? sink
            ? 'Sent: the target took the message.'
            : 'Nothing came out (the message was dropped).'
          : `${total} message${total === 1 ? '' : 's'} out${outcome.errors.length ? `, ${outcome.errors.length} error` : ''}`}
      </div>
      {ports.map(([port, messages]) =>
        messages.map((m, i) => (
          <div key={`${port}-${i}`} className="test-out">
            <span className="test-port">{port}</span>
            {m.key !== null && <span className="muted"> key {m.key}</span>}
            <pre>{prettyValue(m.value)}</pre>
          </div>
        )),
      )}
      {outcome.errors.map((e, i) => (
        <div key={i} className="problem test-error">
          <code>{e.code}</code> {e.message}
        </div>
      ))}
      {outcome.logs.map((l, i) => (
        <div key={i} className={`test-log ${l.level}`}>
          <span className="muted">{l.level}</span> {l.message}
        </div>
      ))}
    </div>
  );
}
