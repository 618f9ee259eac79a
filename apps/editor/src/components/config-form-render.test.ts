import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { bestUnit, ConfigForm, type FieldSchema } from './ConfigForm.js';

/** A node config of the kinds other node types bring: a list of column mappings, nested connection settings, a duration. */
const schema: FieldSchema = {
  type: 'object',
  required: ['mappings'],
  properties: {
    mappings: {
      type: 'array',
      ui: { label: 'Column mappings' },
      items: {
        type: 'object',
        required: ['column'],
        properties: {
          column: { type: 'string', ui: { label: 'Column' } },
          path: { type: 'string', ui: { label: 'JSON path' } },
        },
      },
    },
    pool: {
      type: 'object',
      ui: { label: 'Pool' },
      properties: {
        max: { type: 'integer', minimum: 1, ui: { label: 'Max connections' } },
        idleTimeoutMs: { type: 'integer', default: 30000 },
      },
    },
    flushMs: { type: 'integer', default: 1000, ui: { label: 'Flush every', widget: 'duration', unit: 'ms' } },
    waitSeconds: { type: 'integer', default: 20, ui: { label: 'Wait', widget: 'duration', unit: 's' } },
    // Named like a duration, declared as none: a plain number (units come from the hints only).
    retriesMs: { type: 'integer', ui: { label: 'Retries' } },
  },
};

const render = (config: Record<string, unknown>, problems = []) =>
  renderToStaticMarkup(
    createElement(ConfigForm, {
      schema,
      config,
      problems,
      pointer: '/nodes/0/config',
      secretName: 'f.n',
      onChange: () => undefined,
    }),
  );

describe('generated forms for lists of objects, nested settings and durations', () => {
  it('draws each list entry as its own small form, with an add button naming one entry', () => {
    const html = render({ mappings: [{ column: 'id', path: '$.id' }, { column: 'name' }], pool: { max: 4 } });
    expect(html).toContain('id="field-mappings-0-column"');
    expect(html).toContain('id="field-mappings-1-column"');
    expect(html).toContain('value="$.id"');
    expect(html).toContain('Add column mapping');
    expect(html).toContain('id="field-pool-max"');
  });

  it('shows a duration in the unit it is a whole number of', () => {
    expect(bestUnit(30_000).unit).toBe('s');
    expect(bestUnit(120_000).unit).toBe('min');
    expect(bestUnit(1500).unit).toBe('ms');
    const html = render({ mappings: [], flushMs: 120_000 });
    expect(html).toMatch(/id="field-flushMs"[^>]*value="2"/);
    expect(html).toContain('<option value="min" selected="">min</option>');
  });

  it('keeps a seconds field in seconds, offering no unit finer than it', () => {
    expect(bestUnit(90_000, 's').unit).toBe('s');
    const html = render({ mappings: [], waitSeconds: 120 });
    expect(html).toMatch(/id="field-waitSeconds"[^>]*value="2"/);
    const select = /aria-label="Unit of field-waitSeconds"[^]*?<\/select>/.exec(html)![0];
    expect(select).toContain('<option value="min" selected="">min</option>');
    expect(select).not.toContain('value="ms"');
  });

  it('takes units from the declared hints only, never from the field name', () => {
    const html = render({ mappings: [], retriesMs: 3 });
    expect(html).toMatch(/id="field-retriesMs"[^>]*value="3"/);
    expect(html).not.toContain('Unit of field-retriesMs');
  });

  it('says in plain words what is wrong with a list entry, beside it', () => {
    const html = render({ mappings: [{ column: '' }] }, [
      {
        code: 'E_CONFIG_INVALID',
        path: '/nodes/0/config/mappings/0/column',
        message: 'Too small: expected string to have >=1 characters',
      },
    ] as never);
    expect(html).toContain('must not be empty');
    expect(html).not.toContain('Too small');
  });
});
