/**
 * Validator messages in plain words about the field (zod's own texts — "Too small: expected
 * number to be >=1" — name types and operators, not what the user should do).
 */
import type { FlowProblem } from '@tributary/shared';
import type { FieldSchema } from './form-schema.js';

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'on or off',
  array: 'a list',
  object: 'a group of settings',
  record: 'a set of names and values',
};

const RULES: [RegExp, (...m: string[]) => string][] = [
  [/^Invalid input: expected \w+, received undefined$/, () => 'is required'],
  [/^required: (.+)$/, (what) => `is required (${what})`],
  [/^Invalid input: expected (\w+), received (\w+)$/, (t) => `must be ${TYPE_WORDS[t] ?? t}`],
  [
    /^Too small: expected number to be >(=?)(-?[\d.e+]+)$/,
    (eq, n) => (eq ? `must be at least ${n}` : `must be more than ${n}`),
  ],
  [
    /^Too big: expected number to be <(=?)(-?[\d.e+]+)$/,
    (eq, n) => (eq ? `must be at most ${n}` : `must be less than ${n}`),
  ],
  [/^Too small: expected string to have >=1 characters$/, () => 'must not be empty'],
  [/^Too small: expected string to have >=(\d+) characters$/, (n) => `needs at least ${n} characters`],
  [/^Too big: expected string to have <=(\d+) characters$/, (n) => `may have at most ${n} characters`],
  [/^Too small: expected array to have >=1 items$/, () => 'needs at least one entry'],
  [/^Too small: expected array to have >=(\d+) items$/, (n) => `needs at least ${n} entries`],
  [/^Too big: expected array to have <=(\d+) items$/, (n) => `may have at most ${n} entries`],
  [
    /^Invalid option: expected one of (.+)$/,
    (list) => `must be one of ${list.replace(/"/g, '').split('|').join(', ')}`,
  ],
  [/^Invalid input: expected "(.*)"$/, (v) => `must be "${v}"`],
  [/^Unrecognized keys?: (.+)$/, (keys) => `is not a setting of this node: ${keys.replace(/"/g, '')}`],
  [/^unknown fields?: (.+)$/, (keys) => `is not a setting of this node: ${keys}`],
  [/^Invalid string: must match pattern .*$/, () => 'does not have the expected format'],
  [/^Invalid URL$/, () => 'must be a URL, such as http://host:port/path'],
  [/^Invalid input$/, () => 'has a value of the wrong kind'],
];

/** A validator message in plain words ("must be at least 1"); messages already in words pass through. */
export function plainMessage(message: string): string {
  for (const [pattern, words] of RULES) {
    const m = pattern.exec(message);
    if (m) return words(...m.slice(1));
  }
  return message;
}

/** The pointer's segments (RFC 6901 unescaped). */
function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A field's label along a pointer inside a config schema: "Connection › Password", "Mappings 2 › Column". */
export function fieldPath(schema: FieldSchema | undefined, inside: string[]): string {
  const names: string[] = [];
  let s = schema;
  for (const seg of inside) {
    if (s?.type === 'array' || s?.items) {
      names.push(`#${Number(seg) + 1}`);
      s = s?.items;
      continue;
    }
    const next: FieldSchema | undefined = s?.properties?.[seg];
    names.push(next?.ui?.label ?? seg);
    s = next;
  }
  return names.join(' › ');
}

export interface ProblemWords {
  /** The node's label (else its type's label, else its id); undefined for flow-level problems. */
  node: string | undefined;
  nodeId: string | undefined;
  /** The field inside the node's config, in words; empty for the node itself. */
  field: string;
  text: string;
}

/** A problem said for people: which node (by label), which field, what is wrong. */
export function describeProblem(
  p: FlowProblem,
  lookup: (nodeId: string) => { label: string; schema: FieldSchema | undefined } | undefined,
): ProblemWords {
  const segs = segments(p.path);
  const node = p.nodeId ? lookup(p.nodeId) : undefined;
  const at = segs.indexOf('config');
  const field = node && segs[0] === 'nodes' && at === 2 ? fieldPath(node.schema, segs.slice(3)) : '';
  return { node: node?.label ?? p.nodeId, nodeId: p.nodeId, field, text: plainMessage(p.message) };
}
