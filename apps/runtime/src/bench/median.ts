/**
 * The median of a bench's runs: the middle value, or the mean of the middle two for an even count
 * (the benches' run counts default to odd ones, where both definitions agree).
 *
 * @example
 * medianOf([3, 1, 2]); // 2
 * medianOf([4, 1, 3, 2]); // 2.5
 */
export function medianOf(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no runs');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
