import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IdSchema, serializeFlow, type FlowDocument } from '@tributary/shared';
import { RuntimeError, notFound } from '../errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import { writeFileAtomic } from './atomic-write.js';

/** What the store keeps beside each flow document. */
export interface FlowMeta {
  createdAt: number;
  updatedAt: number;
  /** The user deployed this flow and did not stop it: it comes back running after a restart. */
  deployed: boolean;
  /** Rev of the version that was deployed (kept in `deployed/<id>.flow.json`). */
  deployedRev?: string;
}

export interface StoredFlow {
  readonly flow: FlowDocument;
  /** Content hash of the serialized document: any change gives a new rev. */
  readonly rev: string;
  readonly meta: FlowMeta;
}

export type StoreWarning = (message: string) => void;

const FLOW_SUFFIX = '.flow.json';
const META_SUFFIX = '.meta.json';

/** Rejects anything that is not a flow id before it gets near a file name (no `..`, no `/`). */
export function checkFlowId(id: string): string {
  if (!IdSchema.safeParse(id).success) {
    throw new RuntimeError('E_ID_INVALID', `"${id.slice(0, 140)}" is not a valid flow id`, 400);
  }
  return id;
}

/** Ids may hold `:` and `>`, which some file systems refuse; `%` is not allowed in ids, so this is reversible. */
const fileStem = (id: string) => id.replace(/[:>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function revOf(serialized: string): string {
  return createHash('sha256').update(serialized).digest('hex').slice(0, 16);
}

/**
 * Flow documents as pretty JSON files in `<dataDir>/flows`, one metadata file each, and a copy of
 * the deployed version in `<dataDir>/deployed`. Everything is kept in memory too: this process owns
 * the folder while it runs. Writes are atomic and, per flow, happen in call order.
 */
export class FlowStore {
  private readonly flows = new Map<string, StoredFlow>();
  private readonly deployed = new Map<string, FlowDocument>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly flowsDir: string;
  private readonly deployedDir: string;

  private constructor(dataDir: string) {
    this.flowsDir = join(dataDir, 'flows');
    this.deployedDir = join(dataDir, 'deployed');
  }

  /** Opens (and creates) the store; files that cannot be read are reported and left untouched. */
  static async open(dataDir: string, warn: StoreWarning, parse: (raw: unknown) => FlowDocument | string) {
    const store = new FlowStore(dataDir);
    await mkdir(store.flowsDir, { recursive: true });
    await mkdir(store.deployedDir, { recursive: true });
    for (const name of await readdir(store.flowsDir)) {
      if (!name.endsWith(FLOW_SUFFIX)) continue;
      const file = join(store.flowsDir, name);
      const flow = await readFlowFile(file, parse);
      if (typeof flow === 'string') {
        warn(`skipping ${file}: ${flow}`);
        continue;
      }
      if (fileStem(flow.id) + FLOW_SUFFIX !== name) {
        warn(`skipping ${file}: its id "${flow.id}" does not match the file name`);
        continue;
      }
      const serialized = serializeFlow(flow);
      const meta = await readMeta(join(store.flowsDir, fileStem(flow.id) + META_SUFFIX));
      store.flows.set(flow.id, { flow, rev: revOf(serialized), meta });
      if (meta.deployed) {
        const deployedFile = join(store.deployedDir, fileStem(flow.id) + FLOW_SUFFIX);
        const deployedFlow = await readFlowFile(deployedFile, parse);
        if (typeof deployedFlow === 'string')
          warn(`${deployedFile}: ${deployedFlow}; the saved version will be deployed`);
        else store.deployed.set(flow.id, deployedFlow);
      }
    }
    return store;
  }

  list(): StoredFlow[] {
    return [...this.flows.values()].sort((a, b) => a.flow.id.localeCompare(b.flow.id));
  }

  get(id: string): StoredFlow | undefined {
    return this.flows.get(id);
  }

  require(id: string): StoredFlow {
    const stored = this.flows.get(id);
    if (!stored) throw notFound(id);
    return stored;
  }

  /** The version that is deployed (what comes back after a restart), if any. */
  deployedFlow(id: string): FlowDocument | undefined {
    const stored = this.flows.get(id);
    if (!stored?.meta.deployed) return undefined;
    return this.deployed.get(id) ?? stored.flow;
  }

  async create(flow: FlowDocument): Promise<StoredFlow> {
    return this.exclusive(flow.id, async () => {
      if (this.flows.has(flow.id)) {
        throw new RuntimeError('E_FLOW_EXISTS', `a flow with id "${flow.id}" already exists`, 409, {
          current: this.flows.get(flow.id),
        });
      }
      const now = Date.now();
      return this.save(flow, { createdAt: now, updatedAt: now, deployed: false });
    });
  }

  /** Saves a new version; `rev` must be the rev the client started from (optimistic concurrency). */
  async update(id: string, flow: FlowDocument, rev: string): Promise<StoredFlow> {
    if (flow.id !== id) {
      throw new RuntimeError('E_ID_MISMATCH', `the document's id "${flow.id}" is not "${id}"`, 400);
    }
    return this.exclusive(id, async () => {
      const current = this.require(id);
      if (current.rev !== rev) {
        throw new RuntimeError(
          'E_REV_CONFLICT',
          `flow "${id}" changed since rev ${rev}; it is now at rev ${current.rev}`,
          409,
          {
            current,
          },
        );
      }
      return this.save(flow, { ...current.meta, updatedAt: Date.now() });
    });
  }

  /** Creates or overwrites (import with `replace`); the deployment state is kept. */
  async put(flow: FlowDocument): Promise<StoredFlow> {
    return this.exclusive(flow.id, async () => {
      const current = this.flows.get(flow.id);
      const now = Date.now();
      const meta = current ? { ...current.meta, updatedAt: now } : { createdAt: now, updatedAt: now, deployed: false };
      return this.save(flow, meta);
    });
  }

  async delete(id: string): Promise<void> {
    await this.exclusive(id, async () => {
      this.require(id);
      const stem = fileStem(id);
      // Metadata first: a crash half-way leaves an undeployed flow, never a deployed flow without its file.
      await rm(join(this.flowsDir, stem + META_SUFFIX), { force: true });
      await rm(join(this.deployedDir, stem + FLOW_SUFFIX), { force: true });
      await rm(join(this.flowsDir, stem + FLOW_SUFFIX), { force: true });
      this.flows.delete(id);
      this.deployed.delete(id);
    });
  }

  /** Records that `flow` (a version of flow `id`) is deployed, or with `null` that the flow is not. */
  async setDeployed(id: string, flow: FlowDocument | null): Promise<StoredFlow> {
    return this.exclusive(id, async () => {
      const current = this.require(id);
      const meta: FlowMeta = {
        createdAt: current.meta.createdAt,
        updatedAt: current.meta.updatedAt,
        deployed: flow !== null,
      };
      const stem = fileStem(id);
      const file = join(this.deployedDir, stem + FLOW_SUFFIX);
      if (flow !== null) {
        const serialized = serializeFlow(flow);
        meta.deployedRev = revOf(serialized);
        await writeFileAtomic(file, serialized);
      }
      await writeFileAtomic(join(this.flowsDir, stem + META_SUFFIX), JSON.stringify(meta, null, 2) + '\n');
      if (flow === null) await rm(file, { force: true });
      const next: StoredFlow = { ...current, meta };
      this.flows.set(id, next);
      if (flow !== null) this.deployed.set(id, flow);
      else this.deployed.delete(id);
      return next;
    });
  }

  /** Writes the document, then its metadata; memory changes only once both are on disk. */
  private async save(flow: FlowDocument, meta: FlowMeta): Promise<StoredFlow> {
    const serialized = serializeFlow(flow);
    this.checkReadsBack(serialized);
    const stored: StoredFlow = { flow, rev: revOf(serialized), meta };
    const stem = fileStem(flow.id);
    await writeFileAtomic(join(this.flowsDir, stem + FLOW_SUFFIX), serialized);
    await writeFileAtomic(join(this.flowsDir, stem + META_SUFFIX), JSON.stringify(meta, null, 2) + '\n');
    this.flows.set(flow.id, stored);
    return stored;
  }

  /**
   * Never write a file the next start could not read. The document passed the same structure
   * check `open` applies (on the validation worker), so what is left to fail is the JSON itself:
   * a nesting the next read would refuse. Checked on the text, in one pass.
   */
  private checkReadsBack(serialized: string): void {
    if (nestsDeeperThan(Buffer.from(serialized), MAX_JSON_DEPTH)) {
      throw new RuntimeError(
        'E_JSON_TOO_DEEP',
        `the flow nests deeper than ${MAX_JSON_DEPTH} levels and would not read back once saved; it was not saved`,
        400,
        { problems: [{ code: 'E_JSON_TOO_DEEP', path: '', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }] },
      );
    }
  }

  /** Runs the operations on one flow one after another, in call order (check, write, then update memory). */
  private exclusive<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return next;
  }
}

async function readFlowFile(
  file: string,
  parse: (raw: unknown) => FlowDocument | string,
): Promise<FlowDocument | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return (error as Error).message;
  }
  try {
    return parse(JSON.parse(text));
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
}

async function readMeta(file: string): Promise<FlowMeta> {
  const now = Date.now();
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<FlowMeta>;
    return {
      createdAt: typeof raw.createdAt === 'number' ? raw.createdAt : now,
      updatedAt: typeof raw.updatedAt === 'number' ? raw.updatedAt : now,
      deployed: raw.deployed === true,
      ...(typeof raw.deployedRev === 'string' ? { deployedRev: raw.deployedRev } : {}),
    };
  } catch {
    // A flow file copied in by hand has no metadata yet: it starts as a saved, undeployed flow.
    return { createdAt: now, updatedAt: now, deployed: false };
  }
}
