import {
  FlowDocumentSchema,
  migrateDocument,
  toConnectionTypeInfo,
  toNodeTypeInfo,
  zodProblems,
  validateFlow,
  type ConnectionTypeInfo,
  type NodeTypeInfo,
} from '@tributary/shared';
import { connectionTypes, nodeManifests } from '@tributary/nodes/manifests';
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

/** Validation against the installed node types (the same manifests the engine runs). */
export function createValidator(): FlowValidator {
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
      return validateFlow(raw, catalog);
    },
  };
}
