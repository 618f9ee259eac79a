/**
 * How the inline source reads its list (browser-safe: the manifest validates with it).
 *
 * An item is a message when it is an object with a `value` field and no fields other than `key`,
 * `value`, `headers` and `timestamp`; anything else is a value. To send an object that looks like a
 * message as a value, wrap it: `{ "value": { "value": 1 } }`.
 */
export interface InlineMessage {
  key?: string | number | null;
  value: unknown;
  headers?: Record<string, string | number | boolean>;
  timestamp?: number;
}

const MESSAGE_FIELDS = new Set(['key', 'value', 'headers', 'timestamp']);

export function isInlineMessage(item: unknown): item is InlineMessage {
  if (typeof item !== 'object' || item === null || Array.isArray(item) || !('value' in item)) return false;
  for (const field of Object.keys(item)) if (!MESSAGE_FIELDS.has(field)) return false;
  return true;
}

/** Problems of a message-shaped item, as [path inside the item, message] pairs (empty when fine). */
export function inlineMessageProblems(item: InlineMessage): [path: string[], message: string][] {
  const problems: [string[], string][] = [];
  const { key, headers, timestamp } = item;
  if (key !== undefined && key !== null && typeof key !== 'string' && typeof key !== 'number') {
    problems.push([['key'], 'key must be a string, a number or null']);
  }
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      problems.push([['headers'], 'headers must be an object of strings']);
    } else {
      for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
        if (!['string', 'number', 'boolean'].includes(typeof value)) {
          problems.push([['headers', name], `header "${name}" must be a string`]);
        }
      }
    }
  }
  if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isFinite(timestamp))) {
    problems.push([['timestamp'], 'timestamp must be a number (ms since the epoch)']);
  }
  return problems;
}
