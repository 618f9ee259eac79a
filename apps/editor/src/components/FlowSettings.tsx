import { useState, type ReactNode } from 'react';
import {
  configJsonSchema,
  FlowSettingsSchema,
  IdSchema,
  type Connection,
  type FieldUiHints,
  type FlowProblem,
} from '@tributary/shared';
import { useCatalog } from '../catalog.js';
import {
  addConnection,
  connectionUsers,
  removeConnection,
  renameConnection,
  updateConnection,
} from '../connections.js';
import { deleteFlow, useDoc, useUi } from '../session.js';
import { useStats } from '../stats-store.js';
import { ProblemList } from './ProblemList.js';
import { ConfigForm, type FieldSchema } from './ConfigForm.js';
import '../settings.css';

/** Labels and help of the flow-level settings (the schema in @tributary/shared has the limits). */
const SETTING_HINTS: Record<string, FieldUiHints> = {
  restart: { label: 'Restart policy', help: 'What the runtime does when the flow crashes or hangs', order: 1 },
  mode: { label: 'Restart', help: 'on-failure: start the flow again, with a growing pause', order: 1 },
  maxRestarts: { label: 'Most restarts', placeholder: 'no limit', order: 2 },
  initialBackoffMs: { label: 'First pause', widget: 'duration', unit: 'ms', order: 3 },
  maxBackoffMs: { label: 'Longest pause', widget: 'duration', unit: 'ms', order: 4 },
  batchSize: {
    label: 'Batch size',
    help: 'Most messages per batch a source emits (nodes may set their own)',
    placeholder: 'runtime default',
    order: 2,
  },
  queueCapacity: {
    label: 'Queue capacity',
    help: 'Messages each input queue holds before upstream waits (backpressure)',
    placeholder: 'runtime default',
    order: 3,
  },
  drainTimeoutMs: {
    label: 'Drain timeout',
    widget: 'duration',
    unit: 'ms',
    help: 'How long a stop waits for messages in flight',
    placeholder: 'runtime default',
    order: 4,
  },
};

function withHints(schema: FieldSchema): FieldSchema {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, s]) => [key, { ...withHints(s), ui: SETTING_HINTS[key] }]),
  );
  return schema.properties ? { ...schema, properties } : schema;
}

const SETTINGS_SCHEMA = withHints(configJsonSchema(FlowSettingsSchema));

function Section({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <section className="settings-section">
      <div className="section-head">
        <h3>{title}</h3>
        {aside}
      </div>
      {children}
    </section>
  );
}

/** An id edited as a draft, applied on Enter or when the field is left (ids are never half-typed). */
function IdInput(props: { id: string; value: string; apply: (next: string) => string | undefined; label: string }) {
  const [draft, setDraft] = useState(props.value);
  const [error, setError] = useState<string | undefined>();
  const commit = () => {
    const next = draft.trim();
    const why = next === props.value ? undefined : props.apply(next);
    setError(why);
    if (!why) setDraft(next);
  };
  return (
    <>
      <input
        id={props.id}
        type="text"
        aria-label={props.label}
        className={error ? 'invalid' : undefined}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') {
            setDraft(props.value);
            setError(undefined);
          }
        }}
      />
      {error && <div className="problem">{error}</div>}
    </>
  );
}

function renameFlow(next: string): string | undefined {
  const parsed = IdSchema.safeParse(next);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? 'not a valid id';
  if (useUi.getState().flows.some((f) => f.id === next)) return `the runtime has a flow "${next}" already`;
  useDoc.getState().setDocMeta({ id: next });
  useStats.getState().reset(next);
  return undefined;
}

function ConnectionCard(props: {
  connection: Connection;
  index: number;
  open: boolean;
  problems: FlowProblem[];
  onToggle: () => void;
  onRenamed: (id: string) => void;
}) {
  const { connection, index, open, problems } = props;
  const info = useCatalog((s) => s.connectionTypes.find((t) => t.type === connection.type));
  // A string, so the selector's result compares by value (an array would be new on every call).
  const userIds = useDoc((s) =>
    connectionUsers(connection.id, s.nodes, useCatalog.getState().byType)
      .map((n) => n.id)
      .join('\n'),
  );
  const users = userIds ? userIds.split('\n') : [];
  const flowId = useDoc((s) => s.docMeta.id);
  const [confirming, setConfirming] = useState(false);
  const own = problems.filter((p) => p.connectionId === connection.id);
  const usedBy = users.length === 0 ? 'not used' : `used by ${users.length} node${users.length === 1 ? '' : 's'}`;
  const pointer = `/connections/${index}`;
  return (
    <div className={`connection${open ? ' open' : ''}`} data-testid={`connection-${connection.id}`}>
      <button type="button" className="connection-head" aria-expanded={open} onClick={props.onToggle}>
        <span className="connection-type">{info?.label ?? connection.type}</span>
        <span className="connection-id">{connection.label || connection.id}</span>
        {own.length > 0 && (
          <span className="badge" title={`${own.length} problem(s)`}>
            {own.length}
          </span>
        )}
        <span className="muted connection-use">{usedBy}</span>
      </button>
      {open && (
        <div className="connection-body">
          <div className="field">
            <label htmlFor={`conn-id-${index}`}>Id</label>
            <IdInput
              id={`conn-id-${index}`}
              label="Connection id"
              value={connection.id}
              apply={(next) => {
                const why = renameConnection(connection.id, next);
                if (!why) props.onRenamed(next);
                return why;
              }}
            />
            <div className="help">Nodes name it by this id; renaming updates them.</div>
          </div>
          <div className="field">
            <label htmlFor={`conn-label-${index}`}>Label</label>
            <input
              id={`conn-label-${index}`}
              type="text"
              placeholder={connection.id}
              value={connection.label ?? ''}
              onChange={(e) => updateConnection(connection.id, { label: e.target.value }, 'label')}
            />
          </div>
          {own
            .filter((p) => !p.path.startsWith(`${pointer}/config/`))
            .map((p, i) => (
              <div key={i} className="problem">
                {p.message}
              </div>
            ))}
          {info ? (
            <ConfigForm
              schema={info.configSchema}
              config={connection.config}
              problems={own}
              pointer={`${pointer}/config`}
              secretName={`${flowId}.${connection.id}`}
              onChange={(config, field) => updateConnection(connection.id, { config }, field)}
            />
          ) : (
            <div className="problem">
              Unknown connection type "{connection.type}": its settings cannot be edited here.
            </div>
          )}
          <div className="connection-actions">
            {confirming ? (
              <div className="confirm" role="alert">
                <span>
                  {users.length > 0
                    ? `${users.join(', ')} ${users.length === 1 ? 'uses' : 'use'} this connection and will not run without it.`
                    : 'Delete this connection?'}
                </span>
                <button type="button" className="danger" onClick={() => removeConnection(connection.id)}>
                  Delete anyway
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </div>
            ) : (
              <button
                type="button"
                className="danger-outline"
                onClick={() => (users.length > 0 ? setConfirming(true) : removeConnection(connection.id))}
              >
                Delete connection
              </button>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

/** Deleting the saved flow: asks first, and says that a running flow is stopped. */
function DeleteFlow({ id }: { id: string }) {
  const [confirming, setConfirming] = useState(false);
  const state = useStats((s) => s.state);
  const running = state === 'running' || state === 'deploying';
  return (
    <Section title="Delete">
      {confirming ? (
        <div className="confirm" role="alert">
          <span>
            Delete flow "{id}" from the runtime{running ? ' (it is running: it will be stopped)' : ''}? Export it first
            to keep a copy.
          </span>
          <button type="button" className="danger" onClick={() => void deleteFlow()}>
            Delete flow
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </div>
      ) : (
        <button type="button" className="danger-outline" onClick={() => setConfirming(true)}>
          Delete this flow…
        </button>
      )}
    </Section>
  );
}

/** The flow's own settings and its shared connections: the inspector when no node is selected. */
export function FlowSettings() {
  const meta = useDoc((s) => s.docMeta);
  const saved = useDoc((s) => s.rev !== undefined);
  const local = useUi((s) => s.problems);
  const deploy = useDoc((s) => s.deployProblems);
  const connectionTypes = useCatalog((s) => s.connectionTypes);
  const [openId, setOpenId] = useState<string | undefined>();
  const [newType, setNewType] = useState('');
  const problems = [...local, ...deploy];
  const flowProblems = problems.filter((p) => !p.nodeId && !p.connectionId && !p.edgeId);
  const nodeProblems = problems.filter((p) => p.nodeId || p.edgeId);
  const connections = meta.connections ?? [];
  const type = newType || connectionTypes[0]?.type || '';

  return (
    <div className="inspector-body flow-settings" data-testid="flow-settings">
      <h2>Flow settings</h2>
      <p className="muted">Select a node to edit it; drag node types from the left onto the canvas.</p>

      <div className="field">
        <label htmlFor="flow-id">Id</label>
        {saved ? (
          <>
            <input id="flow-id" type="text" value={meta.id} readOnly />
            <div className="help">The runtime stores this flow under its id: a saved flow keeps it.</div>
          </>
        ) : (
          <>
            <IdInput key={meta.id} id="flow-id" label="Flow id" value={meta.id} apply={renameFlow} />
            <div className="help">Not saved yet: the id can still change (letters, digits, _ . : &gt; -).</div>
          </>
        )}
      </div>
      <div className="field">
        <label htmlFor="flow-name-setting">Name</label>
        <input
          id="flow-name-setting"
          type="text"
          value={meta.name}
          onChange={(e) => useDoc.getState().setDocMeta({ name: e.target.value }, 'name')}
        />
      </div>
      <div className="field">
        <label htmlFor="flow-description">Description</label>
        <textarea
          id="flow-description"
          rows={2}
          value={meta.description ?? ''}
          onChange={(e) => useDoc.getState().setDocMeta({ description: e.target.value || undefined }, 'description')}
        />
      </div>

      <Section
        title="Connections"
        aside={<span className="muted">Kafka clusters, databases … shared by this flow's nodes</span>}
      >
        {connections.length === 0 && <p className="muted empty">None yet.</p>}
        {connections.map((c, i) => (
          <ConnectionCard
            key={c.id}
            connection={c}
            index={i}
            open={openId === c.id}
            problems={problems}
            onToggle={() => setOpenId(openId === c.id ? undefined : c.id)}
            onRenamed={setOpenId}
          />
        ))}
        <div className="add-connection">
          <select aria-label="Connection type" value={type} onChange={(e) => setNewType(e.target.value)}>
            {connectionTypes.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
          <button type="button" disabled={!type} onClick={() => setOpenId(addConnection(type))}>
            Add connection
          </button>
        </div>
      </Section>

      <Section title="Runtime">
        <ConfigForm
          schema={SETTINGS_SCHEMA}
          config={meta.settings ?? {}}
          problems={problems}
          pointer="/settings"
          secretName={meta.id}
          onChange={(settings, field) =>
            useDoc
              .getState()
              .setDocMeta({ settings: Object.keys(settings).length ? settings : undefined }, `settings.${field}`)
          }
        />
      </Section>

      {saved && <DeleteFlow id={meta.id} />}

      {(flowProblems.length > 0 || nodeProblems.length > 0) && (
        <Section title="Problems" aside={<span className="badge">{flowProblems.length + nodeProblems.length}</span>}>
          <ProblemList problems={[...flowProblems, ...nodeProblems]} />
        </Section>
      )}
    </div>
  );
}
