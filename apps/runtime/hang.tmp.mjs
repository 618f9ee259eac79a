import { startServer } from './dist/server.js';
import { mkdtempSync } from 'node:fs';
const s = await startServer({ port: 0, dataDir: mkdtempSync('/tmp/hang-'), watchdogMs: 5000 });
const doc = { schemaVersion: 1, id: 'spinner', name: 'x', nodes: [
 { id: 'numbers', type: 'sequence', typeVersion: 1, position: {x:0,y:0}, config: {} },
 { id: 'spin', type: 'function', typeVersion: 1, position: {x:0,y:0}, config: { code: 'while (true) {}' } },
 { id: 'sink', type: 'counter', typeVersion: 1, position: {x:0,y:0}, config: {} }],
 edges: [{ id: 'a', source: 'numbers', sourcePort: 'out', target: 'spin', targetPort: 'in' }, { id: 'b', source: 'spin', sourcePort: 'out', target: 'sink', targetPort: 'in' }] };
await s.importFlow(doc);
let failedAt; const t0 = Date.now();
s.manager.on('status', (e) => { if (e.state === 'failed') failedAt = Date.now(); });
await s.manager.deploy('spinner');
const lat = [];
while (!failedAt) { const a = performance.now(); await fetch(s.url + '/api/health'); lat.push(performance.now() - a); await new Promise((r) => setTimeout(r, 50)); }
lat.sort((a, b) => a - b);
console.log(`killed after ${failedAt - t0} ms (watchdog 5000); health during hang: n=${lat.length} p50=${lat[lat.length>>1].toFixed(1)} ms max=${lat.at(-1).toFixed(1)} ms`);
await s.close();
