/** Largest tapped value sent to a browser as is; bigger ones are cut to a string preview. */
export const TAP_VALUE_MAX_CHARS = 16_384;

/**
 * Turns a message value into something JSON and structured clone both carry unchanged: bigints
 * become strings, bytes a short base64 preview, and anything huge a truncated JSON string.
 */
export function toTapValue(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Uint8Array) {
        return { bytes: item.byteLength, base64: Buffer.from(item.subarray(0, 256)).toString('base64') };
      }
      if (item instanceof Map) return Object.fromEntries(item) as Record<string, unknown>;
      if (item instanceof Set) return [...item] as unknown[];
      return item;
    });
  } catch (error) {
    return `[value not shown: ${(error as Error).message}]`;
  }
  if (text === undefined) return null; // undefined, functions, symbols
  if (text.length > TAP_VALUE_MAX_CHARS) return `${text.slice(0, TAP_VALUE_MAX_CHARS)}… (${text.length} chars)`;
  return JSON.parse(text) as unknown;
}

/** Lets `perSecond` items through in each one-second window and counts the rest. */
export class WindowLimiter {
  private windowStart = 0;
  private passed = 0;
  private dropped = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.passed = 0;
    }
    if (this.passed < this.perSecond) {
      this.passed++;
      return true;
    }
    this.dropped++;
    return false;
  }

  /** How many were refused since the last call. */
  takeDropped(): number {
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}
