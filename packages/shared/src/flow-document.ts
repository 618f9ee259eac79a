import { z } from 'zod';

/** The document version this code writes; older documents are migrated on load. */
export const CURRENT_SCHEMA_VERSION = 1;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.:>-]*$/;
export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(idPattern, 'ids use letters, digits, and _ . : > - (and start with a letter or digit)');

export const PositionSchema = z.strictObject({ x: z.number(), y: z.number() });

export const FlowNodeSchema = z.strictObject({
  id: IdSchema,
  type: z.string().min(1),
  typeVersion: z.int().min(1),
  label: z.string().optional(),
  description: z.string().optional(),
  /**
   * Editor metadata; the runtime ignores it. Optional so that flows can be written by hand: the
   * editor lays out nodes without one when it opens the flow.
   */
  position: PositionSchema.optional(),
  /** Checked against the node type's own schema by `validateFlow`. */
  config: z.record(z.string(), z.unknown()),
  /** A disabled node is kept in the document but not run; edges through it are ignored. */
  disabled: z.boolean().optional(),
});

export const FlowEdgeSchema = z.strictObject({
  id: IdSchema,
  source: IdSchema,
  sourcePort: z.string().min(1),
  target: IdSchema,
  targetPort: z.string().min(1),
});

export const ConnectionSchema = z.strictObject({
  id: IdSchema,
  type: z.string().min(1),
  label: z.string().optional(),
  config: z.record(z.string(), z.unknown()),
});

export const RestartPolicySchema = z.strictObject({
  /** `on-failure`: a crashed or hung flow is started again, with exponential backoff. */
  mode: z.enum(['never', 'on-failure']),
  maxRestarts: z.int().min(0).optional(),
  initialBackoffMs: z.int().min(0).optional(),
  maxBackoffMs: z.int().min(0).optional(),
});

export const FlowSettingsSchema = z.strictObject({
  restart: RestartPolicySchema.optional(),
  /** Messages per micro-batch a source emits at most. */
  batchSize: z.int().min(1).max(65536).optional(),
  /** Messages each input queue holds before upstream waits. */
  queueCapacity: z.int().min(1).max(10_000_000).optional(),
  /** How long stop waits for in-flight messages to drain. */
  drainTimeoutMs: z.int().min(0).optional(),
});

/**
 * A note on the canvas: a comment (text), or a group (a titled frame drawn behind the nodes it
 * surrounds). Editor metadata like `position`: the runtime ignores it.
 */
export const CanvasNoteSchema = z.strictObject({
  id: IdSchema,
  kind: z.enum(['comment', 'group']),
  text: z.string().max(10_000),
  position: PositionSchema,
  size: z.strictObject({ width: z.number().positive(), height: z.number().positive() }).optional(),
});

/** What only the editor reads (comments and groups); optional, ignored by the runtime. */
export const EditorMetaSchema = z.strictObject({
  notes: z.array(CanvasNoteSchema).max(1000).optional(),
});

export const FlowDocumentSchema = z.strictObject({
  schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
  id: IdSchema,
  name: z.string(),
  description: z.string().optional(),
  settings: FlowSettingsSchema.optional(),
  connections: z.array(ConnectionSchema).optional(),
  nodes: z.array(FlowNodeSchema),
  edges: z.array(FlowEdgeSchema),
  editor: EditorMetaSchema.optional(),
});

export type FlowDocument = z.infer<typeof FlowDocumentSchema>;
export type FlowNode = z.infer<typeof FlowNodeSchema>;
export type FlowEdge = z.infer<typeof FlowEdgeSchema>;
export type Connection = z.infer<typeof ConnectionSchema>;
export type FlowSettings = z.infer<typeof FlowSettingsSchema>;
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;
export type CanvasNote = z.infer<typeof CanvasNoteSchema>;
