/**
 * Rates from a monotonically growing count, robust to being read at any frequency: samples are
 * kept at most every 250 ms for a minute, and a rate is measured against the newest sample that
 * is at least `spanMs` old (or the oldest one, early on).
 */
export class RateWindow {
  private readonly samples: { at: number; count: number }[] = [];

  constructor(start = performance.now()) {
    this.samples.push({ at: start, count: 0 });
  }

  /** Messages per second over about the last `spanMs`. */
  rate(count: number, now: number, spanMs: number): number {
    const samples = this.samples;
    const last = samples[samples.length - 1]!;
    if (now - last.at >= 250) samples.push({ at: now, count });
    while (samples.length > 2 && now - samples[1]!.at >= 60_000) samples.shift();
    let base = samples[0]!;
    for (let i = samples.length - 1; i >= 0; i--) {
      if (now - samples[i]!.at >= spanMs) {
        base = samples[i]!;
        break;
      }
    }
    const seconds = (now - base.at) / 1000;
    return seconds > 0 ? Math.round(((count - base.count) / seconds) * 10) / 10 : 0;
  }
}
