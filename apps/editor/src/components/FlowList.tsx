import { useEffect, useState } from 'react';
import { api, ApiFailure, type FlowOverview } from '../api.js';
import { newFlow } from '../session.js';
import { perSecond } from '../units.js';
import { hashOf } from '../view-store.js';

const POLL_MS = 3000;

/** "12 s ago", "5 min ago", "3 h ago", else the date. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** The home: every flow on the runtime with its state and live figures, polled while shown. */
export function FlowList() {
  const [flows, setFlows] = useState<FlowOverview[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let alive = true;
    const load = () =>
      api.overview().then(
        (r) => {
          if (!alive) return;
          setFlows(r.flows);
          setError(undefined);
        },
        (e: unknown) => alive && setError(e instanceof ApiFailure ? e.message : String(e)),
      );
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  const sorted = [...(flows ?? [])].sort(
    (a, b) => Number(b.state === 'running') - Number(a.state === 'running') || a.name.localeCompare(b.name),
  );
  return (
    <section className="dashboard flow-list" data-testid="flow-list" aria-label="Flows">
      <div className="dash-body">
        <div className="flow-list-head">
          <h2>Flows</h2>
          <button className="primary" onClick={newFlow}>
            New flow
          </button>
        </div>
        {error && <div className="problem">Cannot list the flows: {error}</div>}
        {flows && flows.length === 0 && (
          <p className="muted" data-testid="flow-list-empty">
            No flows yet. Start with <button onClick={newFlow}>a new flow</button>, or import a flow file (Import, or
            drop it on the canvas).
          </p>
        )}
        {sorted.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>State</th>
                  <th className="num">Rate</th>
                  <th className="num">Errors</th>
                  <th>Last deploy</th>
                  <th className="num">Nodes</th>
                  <th>Changed</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {sorted.map((f) => (
                  <tr key={f.id} data-testid={`flow-row-${f.id}`}>
                    <td>
                      <a href={hashOf('editor', f.id)} className="flow-link">
                        {f.name || f.id}
                      </a>
                      <div className="muted small">{f.id}</div>
                    </td>
                    <td>
                      <span className={`state ${f.state}`} title={f.lastError}>
                        {f.state}
                      </span>
                      {f.state === 'failed' && f.lastError && <div className="problem small">{f.lastError}</div>}
                    </td>
                    <td className="num" data-testid={`flow-rate-${f.id}`}>
                      {f.state === 'running' ? perSecond(f.rate) : '—'}
                    </td>
                    <td className={`num${f.errors > 0 ? ' errors' : ''}`}>{f.state === 'running' ? f.errors : '—'}</td>
                    <td>{ago(f.startedAt)}</td>
                    <td className="num">{f.nodeCount}</td>
                    <td>{ago(f.updatedAt)}</td>
                    <td>
                      <a href={hashOf('dashboard', f.id)}>Dashboard</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
