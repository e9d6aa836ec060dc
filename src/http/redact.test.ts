import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.ts';

describe('redactUrl', () => {
  it('logs query names without their values', () => {
    expect(redactUrl('/Users?filter=userName%20eq%20%22bob%22&count=5')).toBe(
      '/Users?filter=[redacted]&count=[redacted]',
    );
  });

  it("logs a setup link's path without its secret", () => {
    const secret = `${'a'.repeat(22)}.${'B'.repeat(43)}`;
    expect(redactUrl(`/console/setup/${secret}`)).toBe('/console/setup/[redacted]');
    expect(redactUrl(`/console/setup/${secret}?x=1`)).toBe('/console/setup/[redacted]?x=[redacted]');
    expect(redactUrl('/console/users')).toBe('/console/users');
  });

  it("logs an invitation or reset link's path without its secret, and the reset form as it is", () => {
    const secret = `${'a'.repeat(22)}.${'B'.repeat(43)}`;
    const tenant = '0f3c2a8e-1b7d-4c5e-9a6f-2d8b7e4c1a90';
    expect(redactUrl(`/${tenant}/signin/activate/${secret}`)).toBe(`/${tenant}/signin/activate/[redacted]`);
    expect(redactUrl(`/${tenant}/signin/reset/${secret}`)).toBe(`/${tenant}/signin/reset/[redacted]`);
    expect(redactUrl(`/${tenant}/signin/reset`)).toBe(`/${tenant}/signin/reset`);
  });
});
