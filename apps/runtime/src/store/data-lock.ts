import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Thrown when another live server holds the data folder. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the data folder ${dataDir} is in use by another Tributary server (pid ${holder.pid} on ${holder.host}, ` +
        `started ${new Date(holder.startedAt).toISOString()}): stop that server first, or use another --data-dir`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: number;
}

export interface DataDirLock {
  /** Removes the lock file (only if it is still this process's). */
  release(): void;
}

const LOCK_FILE = 'server.lock';

/**
 * Takes `<dataDir>/server.lock`, a file created exclusively (O_EXCL) holding this process's pid.
 * A lock whose process is gone (a server killed with -9) is stale and taken over; a lock held by a
 * live process refuses with a message naming it. A pid file rather than an advisory lock library:
 * the refusal must name the holder, and Node has no flock of its own.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder !== null && holder.pid !== process.pid && holder.host === me.host && isAlive(holder.pid)) {
        throw new DataDirLockedError(dataDir, holder);
      }
      if (holder !== null && holder.host !== me.host) throw new DataDirLockedError(dataDir, holder);
      // Stale (its process is gone) or unreadable (a crash between create and write): take it over.
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      if (readHolder(file)?.pid === me.pid) rmSync(file, { force: true });
    };
    process.on('exit', release);
    return { release };
  }
  throw new Error(`could not take the lock ${file}: another server keeps taking it`);
}

function readHolder(file: string): LockHolder | null {
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof raw.pid !== 'number' || typeof raw.host !== 'string') return null;
    return { pid: raw.pid, host: raw.host, startedAt: typeof raw.startedAt === 'number' ? raw.startedAt : 0 };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
