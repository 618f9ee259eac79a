import { useCatalog } from '../catalog.js';
import { addConnection } from '../connections.js';
import { useDoc } from '../session.js';

interface Props {
  id: string;
  value: string | undefined;
  onChange: (value: string | undefined) => void;
  /** Only connections of this type are offered (`kafka`, `redis`, `postgres`). */
  connectionType: string | undefined;
}

/** A node field that names one of the flow's connections of the right type, or adds one. */
export function ConnectionSelect({ id, value, onChange, connectionType }: Props) {
  const all = useDoc((s) => s.docMeta.connections);
  const typeLabel = useCatalog(
    (s) => s.connectionTypes.find((t) => t.type === connectionType)?.label ?? connectionType ?? 'connection',
  );
  const connections = (all ?? []).filter((c) => !connectionType || c.type === connectionType);
  const missing = value !== undefined && !connections.some((c) => c.id === value);
  return (
    <div className="connection-select">
      <select id={id} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">{connections.length ? '— choose —' : `no ${typeLabel} connection yet`}</option>
        {connections.map((c) => (
          <option key={c.id} value={c.id}>
            {c.label ? `${c.label} (${c.id})` : c.id}
          </option>
        ))}
        {missing && <option value={value}>{value} (not in this flow)</option>}
      </select>
      {connectionType && (
        <button
          type="button"
          title={`Adds a ${typeLabel} connection to the flow (edit it in Flow settings)`}
          onClick={() => onChange(addConnection(connectionType))}
        >
          New
        </button>
      )}
    </div>
  );
}
