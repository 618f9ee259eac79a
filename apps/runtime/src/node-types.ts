import {
  FlowDocumentSchema,
  migrateDocument,
  toConnectionTypeInfo,
  toNodeTypeInfo,
  zodProblems,
  validateFlow,
  type ConnectionTypeInfo,
  type FlowProblem,
  type NodeTypeInfo,
} from '@tributary/shared';
import { connectionTypes, nodeManifests } from '@tributary/nodes/manifests';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { CheckResult, FlowValidator } from './validation.js';

/** Body of `GET /api/node-types`. */
export function nodeTypesPayload(): { nodeTypes: NodeTypeInfo[]; connectionTypes: ConnectionTypeInfo[] } {
  return {
    nodeTypes: nodeManifests.map((manifest) => toNodeTypeInfo(manifest)),
    connectionTypes: connectionTypes.map((manifest) => toConnectionTypeInfo(manifest)),
  };
}

/** Problems that block even a save: a secret written in clear must never reach a file or an export. */
const BLOCKS_SAVE = new Set<string>(['E_SECRET_IN_CLEAR']);

/** Node types whose config names a file in the flow's data folder, and the field that does. */
const FILE_PATH_FIELDS: Readonly<Record<string, string>> = { file: 'path' };

/**
 * The checks of a file path that need no file system (the node repeats them, and checks symbolic
 * links, when it starts): no `..`, no NUL, nothing outside the flow's data folder. Messages never
 * show the server's own folders.
 */
export function filePathProblems(raw: unknown, flowDataDir: string): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const doc = raw as { id?: unknown; nodes?: unknown };
  if (typeof doc?.id !== 'string' || !Array.isArray(doc.nodes)) return problems;
  const root = resolve(flowDataDir, doc.id);
  doc.nodes.forEach((node: unknown, index) => {
    const n = node as { id?: unknown; type?: unknown; config?: Record<string, unknown> } | null;
    const field = typeof n?.type === 'string' ? FILE_PATH_FIELDS[n.type] : undefined;
    const path = field === undefined ? undefined : n?.config?.[field];
    if (field === undefined || typeof path !== 'string' || path.trim() === '') return;
    const at = `/nodes/${index}/config/${field}`;
    const extra = typeof n?.id === 'string' ? { nodeId: n.id } : {};
    const problem = (message: string) => problems.push({ code: 'E_CONFIG_INVALID', path: at, message, ...extra });
    const rel = relative(root, resolve(root, path.trim().replace(/\0/g, '')));
    if (path.includes('\0')) problem('the path contains a NUL character');
    else if (path.split(/[\\/]/).includes('..'))
      problem(`"${path.slice(0, 200)}" must not contain ".." (paths stay inside the flow's data folder)`);
    else if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel))
      problem(`"${path.slice(0, 200)}" is outside the flow's data folder (write a path relative to it)`);
  });
  return problems;
}

/**
 * Validation against the installed node types (the same manifests the engine runs); with
 * `flowDataDir` (parent of each flow's data folder), file paths are checked too.
 */
export function createValidator(options: { flowDataDir?: string } = {}): FlowValidator {
  const catalog = { nodeTypes: nodeManifests, connectionTypes };
  return {
    parse(raw: unknown): CheckResult {
      const migrated = migrateDocument(raw);
      if (!migrated.ok) {
        return {
          ok: false,
          problems: [{ code: 'E_SCHEMA_VERSION', path: '/schemaVersion', message: migrated.message }],
        };
      }
      const parsed = FlowDocumentSchema.safeParse(migrated.doc, { reportInput: true });
      if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, '', 'E_SCHEMA') };
      const full = validateFlow(parsed.data, catalog);
      const blocking = full.ok ? [] : full.problems.filter((p) => BLOCKS_SAVE.has(p.code));
      return blocking.length > 0 ? { ok: false, problems: blocking } : { ok: true, flow: parsed.data };
    },
    check(raw: unknown): CheckResult {
      const result = validateFlow(raw, catalog);
      if (options.flowDataDir === undefined) return result;
      const paths = filePathProblems(raw, options.flowDataDir);
      if (paths.length === 0) return result;
      return { ok: false, problems: result.ok ? paths : result.problems.concat(paths) };
    },
  };
}
