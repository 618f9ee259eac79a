/**
 * A source's resume position in the flow's data folder, written atomically (temp file + rename), so
 * a `kill -9` leaves either the old or the new position, never half of one. Writes are coalesced:
 * at most one in flight, the newest value wins.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export class PositionFile<T> {
  private pending: T | undefined;
  private writing: Promise<void> | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  static for<T>(dataDir: string, nodeType: string, nodeId: string): PositionFile<T> {
    return new PositionFile<T>(join(dataDir, nodeType, `${encodeURIComponent(nodeId)}.json`));
  }

  /** The stored position, or undefined when there is none (or it cannot be read). */
  read(): T | undefined {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Stores `value` soon; `flush` waits for it. */
  write(value: T): void {
    this.pending = value;
    this.writing ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined) {
        const value = this.pending;
        this.pending = undefined;
        const temp = `${this.path}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(value));
        await rename(temp, this.path);
      }
    } finally {
      this.writing = null;
    }
  }
}
