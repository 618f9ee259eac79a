import { lazy, Suspense } from 'react';
import type { FlowProblem } from '@tributary/shared';
import {
  enumOptions,
  formFields,
  initialValue,
  isForm,
  isObject,
  switchOrForm,
  typeOf,
  type Field,
  type FieldSchema,
} from '../form-schema.js';
import { ConnectionSelect } from './ConnectionSelect.js';
import { SecretInput } from './SecretInput.js';
import '../settings.css';

export { enumOptions, formFields, type FieldSchema };

// CodeMirror is the heaviest dependency: loaded only when a code field is shown.
const CodeField = lazy(() => import('./CodeField.js'));

interface InputProps {
  id: string;
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
  /** Suggested name for a credential stored from this field. */
  secretName: string;
}

function FieldInput({ id, field, value, onChange, secretName }: InputProps) {
  const { schema, ui } = field;
  const options = enumOptions(schema);
  const type = typeOf(schema);
  if (ui.widget === 'code')
    return (
      <Suspense fallback={<textarea id={id} value={typeof value === 'string' ? value : ''} readOnly />}>
        <CodeField value={typeof value === 'string' ? value : ''} onChange={onChange} language={ui.language} />
      </Suspense>
    );
  if (ui.widget === 'secret' || ui.secret)
    return <SecretInput id={id} value={value} onChange={onChange} suggestedName={secretName} />;
  if (ui.widget === 'connection')
    return (
      <ConnectionSelect
        id={id}
        value={typeof value === 'string' ? value : undefined}
        onChange={onChange}
        connectionType={ui.connectionType}
      />
    );
  if (options)
    return (
      <select
        id={id}
        value={value === undefined ? '' : JSON.stringify(value)}
        onChange={(e) => onChange(e.target.value === '' ? undefined : (JSON.parse(e.target.value) as unknown))}
      >
        {/* Unset means the schema's default: say which it is, not a blank. */}
        {!field.required && (
          <option value="">
            {schema.default === undefined
              ? '—'
              : `${typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default)} (default)`}
          </option>
        )}
        {options.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  if (type === 'boolean')
    return (
      <input
        id={id}
        type="checkbox"
        checked={value === undefined ? schema.default === true : value === true}
        onChange={(e) => onChange(e.target.checked)}
      />
    );
  if (type === 'integer' || type === 'number')
    return (
      <input
        id={id}
        type="number"
        step={type === 'integer' ? 1 : 'any'}
        min={schema.minimum}
        max={schema.maximum}
        placeholder={ui.placeholder ?? (typeof schema.default === 'number' ? String(schema.default) : undefined)}
        value={typeof value === 'number' ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    );
  if (type === 'array' && typeOf(schema.items ?? {}) === 'string')
    return (
      <textarea
        id={id}
        rows={3}
        placeholder={ui.placeholder ? `${ui.placeholder} (one per line)` : 'one per line'}
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

interface FieldsProps {
  schema: FieldSchema;
  value: Record<string, unknown>;
  problems: FlowProblem[];
  /** JSON pointer of `value` in the document, e.g. `/nodes/2/config`. */
  pointer: string;
  /** Id prefix of the inputs: `field-` at the top, `field-sasl-` inside `sasl`. */
  idPrefix: string;
  secretName: string;
  onChange: (value: Record<string, unknown>, field: string) => void;
}

/** The fields of one object: basic ones, then the advanced ones folded. */
function Fields({ schema, value, problems, pointer, idPrefix, secretName, onChange }: FieldsProps) {
  const fields = formFields(schema);
  const set = (key: string, next: unknown, field = key) => {
    const copy = { ...value };
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    onChange(copy, field);
  };
  const render = (f: Field) => {
    const at = `${pointer}/${f.key}`;
    const id = `${idPrefix}${f.key}`;
    const label = f.ui.label ?? f.key;
    const help = f.ui.help ?? f.schema.description;
    const nested = isForm(f.schema) ? f.schema : undefined;
    const toggled = switchOrForm(f.schema);
    const current = value[f.key];
    // A nested form owns the problems inside it; this row shows the ones about the object itself.
    const own = problems.filter((p) =>
      nested || (toggled && isObject(current)) ? p.path === at : p.path === at || p.path.startsWith(`${at}/`),
    );
    const sub = (schemaOf: FieldSchema, object: Record<string, unknown>) => (
      <Fields
        schema={schemaOf}
        value={object}
        problems={problems}
        pointer={at}
        idPrefix={`${id}-`}
        secretName={`${secretName}.${f.key}`}
        onChange={(next, field) => set(f.key, next, `${f.key}.${field}`)}
      />
    );
    if (nested)
      return (
        <fieldset key={f.key} className={`field group${own.length ? ' has-problem' : ''}`} data-field={f.key}>
          <legend>
            {label}
            {f.required && <span className="req"> *</span>}
          </legend>
          {help && <div className="help">{help}</div>}
          {isObject(current) ? (
            <>
              {sub(nested, current)}
              {!f.required && (
                <button type="button" className="link" onClick={() => set(f.key, undefined)}>
                  Remove {label}
                </button>
              )}
            </>
          ) : (
            <button type="button" onClick={() => set(f.key, initialValue(nested))} data-testid={`add-${id}`}>
              Set up {label}
            </button>
          )}
          {own.map((p, i) => (
            <div key={i} className="problem">
              {p.message}
            </div>
          ))}
        </fieldset>
      );
    const mode = current === true ? 'on' : isObject(current) ? 'custom' : 'off';
    return (
      <div key={f.key} className={`field${own.length ? ' has-problem' : ''}`} data-field={f.key}>
        <label htmlFor={id}>
          {label}
          {f.required && <span className="req"> *</span>}
        </label>
        {toggled ? (
          <select
            id={id}
            value={mode}
            onChange={(e) =>
              set(f.key, e.target.value === 'on' ? true : e.target.value === 'custom' ? initialValue(toggled) : false)
            }
          >
            <option value="off">Off</option>
            <option value="on">On</option>
            <option value="custom">On, with these settings…</option>
          </select>
        ) : (
          <FieldInput
            id={id}
            field={f}
            value={current}
            onChange={(v) => set(f.key, v)}
            secretName={`${secretName}.${f.key}`}
          />
        )}
        {help && <div className="help">{help}</div>}
        {toggled && isObject(current) && <div className="group nested">{sub(toggled, current)}</div>}
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
    <>
      {basic.map(render)}
      {advanced.length > 0 && (
        <details>
          <summary>Advanced</summary>
          {advanced.map(render)}
        </details>
      )}
    </>
  );
}

interface FormProps {
  schema: FieldSchema;
  config: Record<string, unknown>;
  problems: FlowProblem[];
  /** Pointer prefix of this config, e.g. `/nodes/2/config`. */
  pointer: string;
  /** Stem of suggested credential names (`<flow>.<node>`): a field adds `.<field>`. */
  secretName: string;
  /** `field` is the edited field's path (`sasl.password`), to coalesce typing into one undo step. */
  onChange: (config: Record<string, unknown>, field: string) => void;
}

/** A config form, generated from its JSON Schema and `ui` hints (nested objects as nested forms). */
export function ConfigForm({ schema, config, problems, pointer, secretName, onChange }: FormProps) {
  const empty = formFields(schema).length === 0;
  return (
    <div className="config-form">
      {empty && <div className="muted">No settings.</div>}
      <Fields
        schema={schema}
        value={config}
        problems={problems}
        pointer={pointer}
        idPrefix="field-"
        secretName={secretName}
        onChange={onChange}
      />
    </div>
  );
}
