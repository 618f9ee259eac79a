/**
 * Independent peers for the web I/O tests: Debian's Python (FastAPI + uvicorn, websockets) run as
 * real processes, and small waiting helpers. Node-only, test use only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Debian's python3, where apt puts python3-websockets / -fastapi / -uvicorn (not a pyenv one). */
export const PYTHON = process.env.TRIBUTARY_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** A script of packages/nodes/test-peers (works from src/ and dist/). */
export function peerScript(name: string): string {
  return fileURLToPath(new URL(`../../test-peers/${name}`, import.meta.url));
}

/** A TCP port that was free a moment ago (for peers that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `check` answers true, polling; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A peer process whose stdout lines are JSON objects (its own log of what it saw). */
export class PeerProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(command: string, args: string[], env: Record<string, string>) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === '') continue;
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.stderr.push(line);
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Starts `python3 test-peers/<script> …args` and waits for its `{"ready": true}` line. */
  static async python(script: string, args: string[], env: Record<string, string> = {}): Promise<PeerProcess> {
    const peer = new PeerProcess(PYTHON, [peerScript(script), ...args], { PYTHONUNBUFFERED: '1', ...env });
    let exited = false;
    void peer.exited.then(() => (exited = true));
    await waitFor(() => exited || peer.lines.some((l) => l.ready === true), `${script} to start`, 30_000);
    if (exited) throw new Error(`${script} exited: ${peer.stderr.join('')}`);
    return peer;
  }

  /** Lines with `key` set. */
  where(key: string): Record<string, unknown>[] {
    return this.lines.filter((l) => key in l);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
