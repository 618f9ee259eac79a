/**
 * Key templates of the sequence source (browser-safe: the manifest validates them in the editor).
 *
 * `{value}` and `{index}` (or `{i}`) are replaced by the message's number and its 0-based position;
 * `{value % 4}` / `{index % 4}` take the remainder (handy to spread keys over partitions);
 * `{{` and `}}` write literal braces. Everything else is copied as is.
 */
export type KeyTemplatePart = string | { readonly of: 'value' | 'index'; readonly modulo: number | null };

export type KeyTemplateParse = { ok: true; parts: readonly KeyTemplatePart[] } | { ok: false; error: string };

const PLACEHOLDER = /^\s*(value|index|i)\s*(?:%\s*(\d+)\s*)?$/;

/**
 * @example
 * parseKeyTemplate('sensor-{index % 3}') // { ok: true, parts: ['sensor-', { of: 'index', modulo: 3 }] }
 */
export function parseKeyTemplate(template: string): KeyTemplateParse {
  const parts: KeyTemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (ch === '}' && template[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (ch === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) return { ok: false, error: `unclosed "{" at position ${i + 1} (write "{{" for a literal brace)` };
      const inner = template.slice(i + 1, end);
      const match = PLACEHOLDER.exec(inner);
      if (!match) {
        return {
          ok: false,
          error: `unknown placeholder "{${inner}}": use {value}, {index} (or {i}), {value % N} or {index % N}`,
        };
      }
      const modulo = match[2] === undefined ? null : Number(match[2]);
      if (modulo === 0) return { ok: false, error: `"{${inner}}": the modulo must be at least 1` };
      if (literal) parts.push(literal);
      literal = '';
      parts.push({ of: match[1] === 'value' ? 'value' : 'index', modulo });
      i = end;
    } else if (ch === '}') {
      return { ok: false, error: `unmatched "}" at position ${i + 1} (write "}}" for a literal brace)` };
    } else {
      literal += ch;
    }
  }
  if (literal) parts.push(literal);
  return { ok: true, parts };
}

/** Builds the key of one message from parsed parts. */
export function renderKeyTemplate(parts: readonly KeyTemplatePart[], value: number, index: number): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
    } else {
      const n = part.of === 'value' ? value : index;
      // ((n % m) + m) % m keeps negative numbers in 0..m-1, which is what spreading keys needs.
      out += part.modulo === null ? String(n) : String(((n % part.modulo) + part.modulo) % part.modulo);
    }
  }
  return out;
}
