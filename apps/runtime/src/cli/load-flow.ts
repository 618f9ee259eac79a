import { readFile } from 'node:fs/promises';
import { describeJsonError, type FlowProblem } from '@tributary/shared';
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
