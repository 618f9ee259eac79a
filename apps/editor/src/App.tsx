import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, FlowStatsSnapshot, FlowSummary, ServerToClientEvents } from '@tributary/shared';
import { compact, latency } from './format.js';

/**
 * A first monitoring page: the runtime's flows and the live figures of the selected one. The
 * drag-and-drop canvas replaces it (issue 4).
 */
export function App() {
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [stats, setStats] = useState<FlowStatsSnapshot | null>(null);

  useEffect(() => {
    const load = () =>
      fetch('/api/flows')
        .then((r) =>
          r.ok ? (r.json() as Promise<{ flows: FlowSummary[] }>) : Promise.reject(new Error(`HTTP ${r.status}`)),
        )
        .then((body) => {
          setFlows(body.flows);
          setError(null);
          setSelected((current) => current ?? body.flows[0]?.id ?? null);
        })
        .catch((e: unknown) => setError(`cannot reach the runtime: ${(e as Error).message}`));
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!selected) return;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ transports: ['websocket'] });
    socket.on('connect', () => socket.emit('flow:subscribe', { flowId: selected }, () => undefined));
    socket.on('flow:stats', (snapshot) => {
      if (snapshot.flowId === selected) setStats(snapshot);
    });
    return () => {
      socket.disconnect();
      setStats(null);
    };
  }, [selected]);

  return (
    <div className="app">
      <header>
        <strong>Tributary</strong>
        <span className="muted">runtime monitor</span>
      </header>
      {error && <div className="error">{error}</div>}
      <main>
        <nav>
          <h2>Flows</h2>
          {flows.map((f) => (
            <button key={f.id} className={f.id === selected ? 'flow active' : 'flow'} onClick={() => setSelected(f.id)}>
              <span>{f.name || f.id}</span>
              <span className={`state ${f.state}`}>{f.state}</span>
            </button>
          ))}
          {flows.length === 0 && !error && <p className="muted">No flows yet.</p>}
        </nav>
        <section>
          <h2>{selected ?? 'Select a flow'}</h2>
          {stats ? (
            <table>
              <thead>
                <tr>
                  <th>node</th>
                  <th>state</th>
                  <th>in</th>
                  <th>out</th>
                  <th>errors</th>
                  <th>dropped</th>
                  <th>msg/s</th>
                  <th>p50</th>
                  <th>p99</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(stats.nodes).map(([id, s]) => (
                  <tr key={id} data-node={id}>
                    <td>{id}</td>
                    <td>{s.state}</td>
                    <td>{compact(s.in)}</td>
                    <td>{compact(s.out)}</td>
                    <td className={s.errors > 0 ? 'bad' : ''}>{compact(s.errors)}</td>
                    <td>{compact(s.dropped)}</td>
                    <td>{compact(Math.round(s.rate1s))}</td>
                    <td>{latency(s.latencyMs.p50)}</td>
                    <td>{latency(s.latencyMs.p99)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{selected ? 'Waiting for live stats (deploy the flow to see them)…' : ''}</p>
          )}
        </section>
      </main>
    </div>
  );
}
