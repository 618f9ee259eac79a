import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

/** Starts that ended in a crash, in a row, after which the server starts without its flows. */
export const CRASHES_BEFORE_SAFE_START = 2;

interface BootState {
  /** Consecutive starts that did not get through booting (and settling). */
  crashes: number;
  /** The flow being started when the record was last written. */
  flowId?: string;
}

export interface BootDecision {
  /** Start without the deployed flows. */
  safe: boolean;
  /** Why, in words (names the flow when one was being started). */
  reason?: string;
}

/**
 * `<dataDir>/boot.json`: written while the server starts its deployed flows and removed once they
 * have run for a while. Finding it at start means the last start crashed; after
 * `CRASHES_BEFORE_SAFE_START` such starts in a row the server starts in safe mode, naming the flow
 * that was starting, so one bad flow cannot lock the server in a crash loop.
 */
export class BootRecord {
  private state: BootState = { crashes: 0 };
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'boot.json');
  }

  async begin(): Promise<BootDecision> {
    let previous: BootState | null;
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as Partial<BootState>;
      previous = {
        crashes: typeof raw.crashes === 'number' ? raw.crashes : 0,
        ...(typeof raw.flowId === 'string' ? { flowId: raw.flowId } : {}),
      };
    } catch {
      previous = null; // no record: the last start went well (or this is the first)
    }
    const crashes = previous === null ? 0 : previous.crashes + 1;
    if (crashes >= CRASHES_BEFORE_SAFE_START) {
      await this.clear();
      const flow = previous?.flowId;
      return {
        safe: true,
        reason:
          `the last ${crashes} starts crashed ` +
          (flow !== undefined ? `while flow "${flow}" was starting` : 'while the deployed flows were starting') +
          ': started in safe mode, without the deployed flows' +
          (flow !== undefined ? ` (fix or stop flow "${flow}", then restart)` : ''),
      };
    }
    this.state = { crashes };
    await this.write();
    return { safe: false };
  }

  /** Records the flow about to start (the one to blame if the process dies now). */
  async starting(flowId: string): Promise<void> {
    this.state = { ...this.state, flowId };
    await this.write();
  }

  /** The start went through: no record, no blame. */
  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }

  private async write(): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(this.state) + '\n');
  }
}
