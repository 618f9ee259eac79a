/** Confines file paths from configs to the flow's data folder (no `..`, no symlink escapes). Node-only. */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { NodeConfigError } from './compile.js';

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves `path` (relative to `dataDir`, or absolute inside it) to an absolute path whose parent
 * folders exist and, after resolving symlinks, lie inside `dataDir`. Throws NodeConfigError otherwise.
 * The file itself is opened by the caller with O_NOFOLLOW, so a symlink planted there is refused too.
 *
 * @example
 * resolveInside('/data/flow-1', 'out/orders.jsonl') // '/data/flow-1/out/orders.jsonl'
 * resolveInside('/data/flow-1', '../etc/passwd')    // throws: ".." is not allowed
 */
export function resolveInside(dataDir: string, path: string, field = 'path'): string {
  if (path.trim() === '') throw new NodeConfigError(`${field}: the path is empty`, field);
  if (path.includes('\0')) throw new NodeConfigError(`${field}: the path contains a NUL character`, field);
  if (path.split(/[\\/]/).includes('..')) {
    throw new NodeConfigError(
      `${field}: "${path}" must not contain ".." (paths stay inside the flow's data folder)`,
      field,
    );
  }
  const root = resolve(dataDir);
  const target = resolve(root, path);
  if (!isInside(root, target) || target === root) {
    throw new NodeConfigError(`${field}: "${path}" is outside the flow's data folder (${root})`, field);
  }
  mkdirSync(root, { recursive: true });
  const realRoot = realpathSync(root);
  // Check the deepest existing ancestor before creating folders, so mkdir never follows a symlink out.
  let existing = dirname(target);
  while (!existsSync(existing)) existing = dirname(existing);
  const escape = () =>
    new NodeConfigError(`${field}: "${path}" leads outside the flow's data folder through a symbolic link`, field);
  if (!isInside(realRoot, realpathSync(existing))) throw escape();
  mkdirSync(dirname(target), { recursive: true });
  if (!isInside(realRoot, realpathSync(dirname(target)))) throw escape();
  return target;
}
