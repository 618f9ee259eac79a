import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './server-harness.js';

/** A `tributary serve` in a process of its own (for kill -9, locks and restarts). */
export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** The URL once the server says it listens. */
  url(): Promise<string>;
  /** The exit code (null after a signal). */
  readonly exited: Promise<number | null>;
}

export function spawnServe(args: string[]): ServeProcess {
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TRIBUTARY_TOKEN: '' },
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    url: () => eventually(() => /runtime on (http:\/\/\S+)/.exec(text)?.[1], 60_000),
    exited,
  };
}

/** Process ids whose parent is `pid` (from ps: the flows' processes of a server). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there is none
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
