import { lazy, Suspense, useState } from 'react';
import type { DurationUnit, FlowProblem } from '@tributary/shared';
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
import { plainMessage } from '../plain-words.js';
import type { CodeProblem } from './CodeField.js';
import { ConnectionSelect } from './ConnectionSelect.js';
import { SecretInput } from './SecretInput.js';
import '../settings.css';

export { enumOptions, formFields, type FieldSchema };

// CodeMirror is the heaviest dependency: loaded only when a code field is shown.
const CodeField = lazy(() => import('./CodeField.js'));

/** One checker per field and check function: CodeMirror's linter is rebuilt when it changes. */
const checkers = new WeakMap<object, Map<string, (code: string) => Promise<CodeProblem[]>>>();
function codeChecker(check: (field: string, code: string) => Promise<CodeProblem[]>, field: string) {
  let byField = checkers.get(check);
  if (!byField) checkers.set(check, (byField = new Map<string, (code: string) => Promise<CodeProblem[]>>()));
  let fn = byField.get(field);
  if (!fn) byField.set(field, (fn = (code: string) => check(field, code)));
  return fn;
}

interface InputProps {
  /** Checks a code field's text on the runtime (syntax errors as you type). */
  checkCode?: (field: string, code: string) => Promise<CodeProblem[]>;
  id: string;
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
  /** Suggested name for a credential stored from this field. */
  secretName: string;
}

function FieldInput({ id, field, value, onChange, secretName, checkCode }: InputProps) {
  const { schema, ui } = field;
  const options = enumOptions(schema);
  const type = typeOf(schema);
  if (ui.widget === 'code')
    return (
      <Suspense fallback={<textarea id={id} value={typeof value === 'string' ? value : ''} readOnly />}>
        <CodeField
          value={typeof value === 'string' ? value : ''}
          onChange={onChange}
          language={ui.language}
          label={ui.label ?? field.key}
          check={checkCode && ui.language === 'javascript' ? codeChecker(checkCode, field.key) : undefined}
        />
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
        {/* A required choice not made yet says so, rather than showing the first option as if chosen. */}
        {field.required && value === undefined && (
          <option value="" disabled>
            Choose…
          </option>
        )}
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
  // Declared in the schema's hints (never guessed from the field's name): what one unit of the value is.
  if ((type === 'integer' || type === 'number') && ui.widget === 'duration' && ui.unit)
    return <DurationInput id={id} schema={schema} base={ui.unit} value={value} onChange={onChange} />;
  if (type === 'array' && ['number', 'integer'].includes(typeOf(schema.items ?? {}) ?? ''))
    return (
      <textarea
        id={id}
        rows={3}
        placeholder="one number per line"
        defaultValue={Array.isArray(value) ? value.join('\n') : ''}
        onBlur={(e) => {
          const lines = e.target.value
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean);
          onChange(lines.length ? lines.map(Number) : undefined);
        }}
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

const UNITS = [
  { unit: 'h', ms: 3_600_000 },
  { unit: 'min', ms: 60_000 },
  { unit: 's', ms: 1000 },
  { unit: 'ms', ms: 1 },
];

const BASE_MS: Record<DurationUnit, number> = { ms: 1, s: 1000 };

/** The units a field kept in `base` can be typed in: none finer than `base` (no 1.5 ms in a seconds field). */
export function unitsFor(base: DurationUnit): typeof UNITS {
  return UNITS.filter((u) => u.ms >= BASE_MS[base]);
}

/** The largest unit a duration is a whole number of (90000 ms → 90 s, 120000 ms → 2 min). */
export function bestUnit(ms: number, base: DurationUnit = 'ms'): { unit: string; ms: number } {
  const units = unitsFor(base);
  return units.find((u) => ms !== 0 && ms % u.ms === 0) ?? units[units.length - 1]!;
}

/** A duration kept in the field's declared unit (`ui.unit`), typed as a number and a unit. */
function DurationInput(props: {
  id: string;
  schema: FieldSchema;
  base: DurationUnit;
  value: unknown;
  onChange: (v: unknown) => void;
}) {
  const { id, schema, base, value, onChange } = props;
  const scale = BASE_MS[base];
  const ms = typeof value === 'number' ? value * scale : undefined;
  const fallback = typeof schema.default === 'number' ? schema.default * scale : undefined;
  const units = unitsFor(base);
  const [unit, setUnit] = useState(() => bestUnit(ms ?? fallback ?? 1000, base));
  return (
    <span className="duration" data-unit={base}>
      <input
        id={id}
        type="number"
        min={0}
        step="any"
        placeholder={fallback === undefined ? undefined : String(fallback / unit.ms)}
        value={ms === undefined ? '' : ms / unit.ms}
        onChange={(e) =>
          onChange(e.target.value === '' ? undefined : Math.round((Number(e.target.value) * unit.ms) / scale))
        }
      />
      <select
        aria-label={`Unit of ${id}`}
        value={unit.unit}
        onChange={(e) => setUnit(units.find((u) => u.unit === e.target.value) ?? unit)}
      >
        {units.map((u) => (
          <option key={u.unit} value={u.unit}>
            {u.unit}
          </option>
        ))}
      </select>
    </span>
  );
}

/**
 * JSON values edited as text; kept as text until it parses (no input is lost). Text that does not
 * parse says why, in place of the validator's view of the old value ("required").
 */
function JsonInput({ id, value, onChange }: { id: string; value: unknown; onChange: (v: unknown) => void }) {
  const [error, setError] = useState<string | undefined>();
  return (
    <>
      <textarea
        id={id}
        rows={4}
        className={error ? 'invalid' : undefined}
        defaultValue={value === undefined ? '' : JSON.stringify(value, null, 2)}
        onBlur={(e) => {
          const text = e.target.value.trim();
          if (text === '') {
            setError(undefined);
            return onChange(undefined);
          }
          try {
            onChange(JSON.parse(text));
            setError(undefined);
          } catch (err) {
            setError(`This is not valid JSON (${(err as Error).message}); the value was not changed.`);
          }
        }}
      />
      {error && (
        <div className="problem json-error" data-testid={`json-error-${id}`}>
          {error}
        </div>
      )}
    </>
  );
}

/** "Column mappings" → "column mapping": the add button names one entry. */
function itemLabel(label: string): string {
  const one = label.endsWith('ies') ? `${label.slice(0, -3)}y` : label.endsWith('s') ? label.slice(0, -1) : label;
  return one.charAt(0).toLowerCase() + one.slice(1);
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
  checkCode?: (field: string, code: string) => Promise<CodeProblem[]>;
}

/** The fields of one object: basic ones, then the advanced ones folded. */
function Fields({ schema, value, problems, pointer, idPrefix, secretName, onChange, checkCode }: FieldsProps) {
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
    const itemForm =
      typeOf(f.schema) === 'array' && f.schema.items && isForm(f.schema.items) ? f.schema.items : undefined;
    if (itemForm) {
      const items: unknown[] = Array.isArray(current) ? (current as unknown[]) : [];
      const setItems = (next: unknown[], field = f.key) => set(f.key, next.length ? next : undefined, field);
      return (
        <fieldset key={f.key} className={`field group list${own.length ? ' has-problem' : ''}`} data-field={f.key}>
          <legend>
            {label}
            {f.required && <span className="req"> *</span>}
          </legend>
          {help && <div className="help">{help}</div>}
          {items.length === 0 && <div className="muted">None yet.</div>}
          {items.map((item, i) => (
            <div key={i} className="list-item" data-testid={`${id}-item-${i}`}>
              <div className="list-item-head">
                <span className="muted">#{i + 1}</span>
                <span className="spacer" />
                <button
                  type="button"
                  disabled={i === 0}
                  title="Move up"
                  aria-label={`Move ${label} #${i + 1} up`}
                  onClick={() => setItems(items.map((x, j) => (j === i - 1 ? items[i] : j === i ? items[i - 1] : x)))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  disabled={i === items.length - 1}
                  title="Move down"
                  aria-label={`Move ${label} #${i + 1} down`}
                  onClick={() => setItems(items.map((x, j) => (j === i + 1 ? items[i] : j === i ? items[i + 1] : x)))}
                >
                  ↓
                </button>
                <button
                  type="button"
                  title="Remove"
                  aria-label={`Remove ${label} #${i + 1}`}
                  onClick={() => setItems(items.filter((_, j) => j !== i))}
                >
                  ✕
                </button>
              </div>
              <Fields
                schema={itemForm}
                value={isObject(item) ? item : {}}
                problems={problems}
                pointer={`${at}/${i}`}
                idPrefix={`${id}-${i}-`}
                secretName={`${secretName}.${f.key}.${i}`}
                onChange={(next, field) =>
                  setItems(
                    items.map((x, j) => (j === i ? next : x)),
                    `${f.key}.${i}.${field}`,
                  )
                }
              />
            </div>
          ))}
          <button type="button" onClick={() => setItems([...items, initialValue(itemForm)])} data-testid={`add-${id}`}>
            Add {itemLabel(label)}
          </button>
          {own
            .filter((p) => p.path === at)
            .map((p, i) => (
              <div key={i} className="problem">
                {plainMessage(p.message)}
              </div>
            ))}
        </fieldset>
      );
    }
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
              {plainMessage(p.message)}
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
            checkCode={checkCode}
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
            {plainMessage(p.message)}
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
  /** Top-level code fields are checked on the runtime as you type. */
  checkCode?: (field: string, code: string) => Promise<CodeProblem[]>;
}

/** A config form, generated from its JSON Schema and `ui` hints (nested objects as nested forms). */
export function ConfigForm({ schema, config, problems, pointer, secretName, onChange, checkCode }: FormProps) {
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
        checkCode={checkCode}
      />
    </div>
  );
}
