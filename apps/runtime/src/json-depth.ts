/**
 * Deepest nesting a request body may have. Flow documents need about ten levels plus what a node's
 * config nests; deeper documents can be parsed, but every later step (schema checks, pretty
 * printing, whose indentation grows with the depth) works per level, and a 4,500-level document
 * once saved could not be read back.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text in `bytes` opens more than `limit` objects or arrays inside each other.
 * One pass over the bytes (brackets inside strings do not count), so the work is linear in the
 * size whatever the shape; malformed text is left for JSON.parse to report.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
