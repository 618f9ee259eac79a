import { describe, expect, it } from 'vitest';
import { crossSiteReason, isLoopbackHost, tokenMatches } from './access.js';

describe('access checks', () => {
  it('matches tokens exactly', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cret', 's3cre')).toBe(false);
    expect(tokenMatches('s3cret', 's3cret ')).toBe(false);
    expect(tokenMatches('s3cret', undefined)).toBe(false);
    expect(tokenMatches('s3cret', '')).toBe(false);
  });

  it('knows loopback names', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '192.168.1.4', 'example.com', '::']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('lets its own origin and configured ones in, and keeps other sites (local ones too) out', () => {
    expect(crossSiteReason({ host: '127.0.0.1:4300' }, false)).toBeNull();
    expect(crossSiteReason({ host: '127.0.0.1:4300', origin: 'http://127.0.0.1:4300' }, false)).toBeNull();
    // A page of another local app (any loopback port) may not drive the API…
    expect(crossSiteReason({ host: 'localhost:4300', origin: 'http://localhost:5173' }, false)).toMatch(
      /--allow-origin http:\/\/localhost:5173/,
    );
    // …unless that origin was configured.
    expect(
      crossSiteReason({ host: 'localhost:4300', origin: 'http://localhost:5173' }, false, ['http://localhost:5173']),
    ).toBeNull();
    expect(
      crossSiteReason({ host: 'localhost:4300', origin: 'http://localhost:5174' }, false, ['http://localhost:5173']),
    ).toMatch(/origin/);
    expect(crossSiteReason({ host: 'localhost:4300', origin: 'https://evil.example' }, false)).toMatch(/origin/);
    expect(crossSiteReason({ host: 'localhost:4300', origin: 'null' }, false)).toMatch(/opaque/);
    expect(crossSiteReason({ host: 'rebound.example:4300' }, false)).toMatch(/loopback/);
    // With a token the server may be reached by any name; the token guards it.
    expect(crossSiteReason({ host: 'tributary.internal:4300' }, true)).toBeNull();
    expect(
      crossSiteReason({ host: 'tributary.internal:4300', origin: 'http://tributary.internal:4300' }, true),
    ).toBeNull();
  });
});
