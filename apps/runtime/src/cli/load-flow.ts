import { readFile } from 'node:fs/promises';
import type { FlowProblem } from '@tributary/shared';
import { checkFlow, type NodeRegistry } from '../engine/index.js';

export type LoadResult = ReturnType<typeof checkFlow> | { ok: false; problems: FlowProblem[] };

/** Reads and validates a flow file; every problem comes back with its JSON pointer. */
export async function loadFlowFile(path: string, registry: NodeRegistry): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(error as Error).message}`;
    return { ok: false, problems: [{ code: 'E_FILE_UNREADABLE', path: '', message }] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ code: 'E_JSON_MALFORMED', path: '', message: describeJsonError(text, error) }] };
  }
  return checkFlow(doc, registry);
}

/** Turns V8's "at position N" into a line and column a person can jump to. */
export function describeJsonError(text: string, error: unknown): string {
  const message = (error as Error).message;
  const match = /position (\d+)/.exec(message);
  if (!match) return `not valid JSON: ${message}`;
  const position = Number(match[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `not valid JSON at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}
