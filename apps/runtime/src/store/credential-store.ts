import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowDocument } from '@tributary/shared';
import { credentialsUsedBy } from '@tributary/engine';
import { connectionTypes, nodeManifests } from '@tributary/nodes/manifests';
import { RuntimeError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** Same shape as a `${cred:NAME}` reference accepts. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

export function checkCredentialName(name: string): string {
  if (!NAME.test(name)) {
    throw new RuntimeError(
      'E_ID_INVALID',
      `"${name.slice(0, 140)}" is not a valid credential name (letters, digits, _ . -, starting with a letter or _)`,
      400,
    );
  }
  return name;
}

/**
 * Secret values for `${cred:NAME}` references, in `<dataDir>/credentials.json` (mode 0600). Values
 * go only to the worker of a flow that references them; the API lists names, never values.
 */
export class CredentialStore {
  private values = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string): Promise<CredentialStore> {
    const store = new CredentialStore(join(dataDir, 'credentials.json'));
    let text: string | undefined;
    try {
      text = await readFile(store.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const raw = JSON.parse(text) as { values?: Record<string, unknown> };
      for (const [name, value] of Object.entries(raw.values ?? {})) {
        if (!NAME.test(name)) continue;
        if (typeof value === 'string') store.values.set(name, value);
      }
      // Tighten a file someone created by hand with looser permissions.
      await chmod(store.file, 0o600);
    }
    return store;
  }

  names(): string[] {
    return [...this.values.keys()].sort();
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The values a flow uses in its secret fields (and only those), for its process. */
  valuesFor(flow: FlowDocument): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of credentialsUsedBy(flow, { nodeTypes: nodeManifests, connectionTypes })) {
      const value = this.values.get(name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  async set(name: string, value: string): Promise<void> {
    checkCredentialName(name);
    await this.write((next) => next.set(name, value));
  }

  async delete(name: string): Promise<void> {
    if (!this.values.has(name))
      throw new RuntimeError('E_CREDENTIAL_NOT_FOUND', `credential "${name}" does not exist`, 404);
    await this.write((next) => next.delete(name));
  }

  /** Writes a changed copy; memory changes only once the file is on disk. One write at a time. */
  private write(change: (next: Map<string, string>) => void): Promise<void> {
    const task = async () => {
      const next = new Map(this.values);
      change(next);
      const body = { version: 1, values: Object.fromEntries([...next].sort(([a], [b]) => a.localeCompare(b))) };
      await writeFileAtomic(this.file, JSON.stringify(body, null, 2) + '\n', 0o600);
      await chmod(this.file, 0o600);
      this.values = next;
    };
    const result = this.writing.then(task, task);
    this.writing = result.catch(() => undefined);
    return result;
  }
}
