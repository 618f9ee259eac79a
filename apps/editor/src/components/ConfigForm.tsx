import { lazy, Suspense } from 'react';
import type { FieldUiHints, FlowProblem } from '@tributary/shared';

// CodeMirror is the heaviest dependency: loaded only when a code field is shown.
const CodeField = lazy(() => import('./CodeField.js'));

/** The part of JSON Schema the form understands. */
export interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: FieldSchema[];
  oneOf?: FieldSchema[];
  items?: FieldSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, FieldSchema>;
  required?: string[];
  ui?: FieldUiHints;
}

interface Field {
  key: string;
  schema: FieldSchema;
  ui: FieldUiHints;
  required: boolean;
}

export function formFields(schema: FieldSchema): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .map(([key, s]) => ({ key, schema: s, ui: s.ui ?? {}, required: required.has(key) }))
    .sort((a, b) => (a.ui.order ?? 1e9) - (b.ui.order ?? 1e9));
}

/** enum values of a field (a plain enum, or a union of consts). */
export function enumOptions(s: FieldSchema): unknown[] | undefined {
  if (s.enum) return s.enum;
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length && alts.every((a) => a.const !== undefined)) return alts.map((a) => a.const);
  return undefined;
}

function typeOf(s: FieldSchema): string | undefined {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (t) return t;
  const alt = (s.anyOf ?? s.oneOf)?.find((a) => a.type && a.type !== 'null');
  return alt ? typeOf(alt) : undefined;
}

interface InputProps {
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
}

function FieldInput({ field, value, onChange }: InputProps) {
  const { schema, ui } = field;
  const options = enumOptions(schema);
  const type = typeOf(schema);
  const id = `field-${field.key}`;
  if (ui.widget === 'code')
    return (
      <Suspense fallback={<textarea id={id} value={typeof value === 'string' ? value : ''} readOnly />}>
        <CodeField value={typeof value === 'string' ? value : ''} onChange={onChange} language={ui.language} />
      </Suspense>
    );
  if (ui.widget === 'secret' || ui.secret)
    return (
      <input
        id={id}
        type="password"
        autoComplete="off"
        placeholder={ui.placeholder ?? '${env:NAME} or ${cred:NAME}'}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
      />
    );
  if (options)
    return (
      <select
        id={id}
        value={value === undefined ? '' : JSON.stringify(value)}
        onChange={(e) => onChange(e.target.value === '' ? undefined : (JSON.parse(e.target.value) as unknown))}
      >
        {!field.required && <option value="">—</option>}
        {options.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  if (type === 'boolean')
    return <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  if (type === 'integer' || type === 'number')
    return (
      <input
        id={id}
        type="number"
        step={type === 'integer' ? 1 : 'any'}
        min={schema.minimum}
        max={schema.maximum}
        placeholder={ui.placeholder}
        value={typeof value === 'number' ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    );
  if (type === 'array' && typeOf(schema.items ?? {}) === 'string')
    return (
      <textarea
        id={id}
        rows={3}
        placeholder="one per line"
        value={Array.isArray(value) ? value.join('\n') : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value.split('\n'))}
      />
    );
  if (type === 'object' || type === 'array' || ui.widget === 'json')
    return <JsonInput id={id} value={value} onChange={onChange} />;
  const text = typeof value === 'string' ? value : '';
  return ui.widget === 'textarea' ? (
    <textarea id={id} rows={3} placeholder={ui.placeholder} value={text} onChange={(e) => onChange(e.target.value)} />
  ) : (
    <input
      id={id}
      type="text"
      placeholder={ui.placeholder}
      value={text}
      onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
    />
  );
}

/** JSON values edited as text; kept as text until it parses (no input is lost). */
function JsonInput({ id, value, onChange }: { id: string; value: unknown; onChange: (v: unknown) => void }) {
  return (
    <textarea
      id={id}
      rows={4}
      defaultValue={value === undefined ? '' : JSON.stringify(value, null, 2)}
      onBlur={(e) => {
        const text = e.target.value.trim();
        if (text === '') return onChange(undefined);
        try {
          onChange(JSON.parse(text));
          e.target.classList.remove('invalid');
        } catch {
          e.target.classList.add('invalid');
        }
      }}
    />
  );
}

interface FormProps {
  schema: FieldSchema;
  config: Record<string, unknown>;
  problems: FlowProblem[];
  /** Pointer prefix of this node's config, e.g. `/nodes/2/config`. */
  pointer: string;
  onChange: (config: Record<string, unknown>, field: string) => void;
}

/** A node's config form, generated from its JSON Schema and `ui` hints. */
export function ConfigForm({ schema, config, problems, pointer, onChange }: FormProps) {
  const fields = formFields(schema);
  const set = (key: string, value: unknown) => {
    const next = { ...config };
    if (value === undefined) delete next[key];
    else next[key] = value;
    onChange(next, key);
  };
  const render = (f: Field) => {
    const own = problems.filter((p) => p.path === `${pointer}/${f.key}` || p.path.startsWith(`${pointer}/${f.key}/`));
    return (
      <div key={f.key} className={`field${own.length ? ' has-problem' : ''}`} data-field={f.key}>
        <label htmlFor={`field-${f.key}`}>
          {f.ui.label ?? f.key}
          {f.required && <span className="req"> *</span>}
        </label>
        <FieldInput field={f} value={config[f.key]} onChange={(v) => set(f.key, v)} />
        {(f.ui.help ?? f.schema.description) && <div className="help">{f.ui.help ?? f.schema.description}</div>}
        {own.map((p, i) => (
          <div key={i} className="problem">
            {p.message}
          </div>
        ))}
      </div>
    );
  };
  const basic = fields.filter((f) => !f.ui.advanced);
  const advanced = fields.filter((f) => f.ui.advanced);
  return (
    <div className="config-form">
      {fields.length === 0 && <div className="muted">No settings.</div>}
      {basic.map(render)}
      {advanced.length > 0 && (
        <details>
          <summary>Advanced</summary>
          {advanced.map(render)}
        </details>
      )}
    </div>
  );
}
