import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has documented defaults: port 8080, embedded SQLite, derived public URL', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.database).toEqual({ kind: 'sqlite', path: './data/roster.db' });
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.limits).toEqual({ adminBodyBytes: 65536, scimBodyBytes: 1048576 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('derives the public URL from HOST/PORT and strips a trailing slash from ROSTER_PUBLIC_URL', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl).toBe('http://[::1]:9000');
    expect(loadConfig({ ROSTER_PUBLIC_URL: 'https://id.example.com/' }).publicUrl).toBe('https://id.example.com');
  });

  it('selects PostgreSQL by URL and then requires ROSTER_SECRET_KEY', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db' })).toThrow('ROSTER_SECRET_KEY is required');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', ROSTER_SECRET_KEY: 'x' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
  });

  it('shares rate limits through PostgreSQL by default, and keeps them per process on SQLite', () => {
    const pgEnv = { DATABASE_URL: 'postgres://u@h/db', ROSTER_SECRET_KEY: 'x' };
    expect(loadConfig(pgEnv).rateLimits).toMatchObject({ scope: 'cluster', maxBatch: 100 });
    expect(loadConfig({ ...pgEnv, ROSTER_RATE_LIMIT_SCOPE: 'process' }).rateLimits.scope).toBe('process');
    expect(loadConfig({}).rateLimits.scope).toBe('process');
    expect(loadConfig({ ...pgEnv, ROSTER_RATE_LIMIT_MAX_BATCH: '1' }).rateLimits.maxBatch).toBe(1);
  });

  it.each([
    [{ ROSTER_RATE_LIMIT_SCOPE: 'cluster' }, 'needs PostgreSQL'],
    [{ ROSTER_RATE_LIMIT_SCOPE: 'global' }, 'cluster or process'],
    [{ ROSTER_RATE_LIMIT_MAX_BATCH: '0' }, 'ROSTER_RATE_LIMIT_MAX_BATCH'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'file path'],
    [{ ROSTER_PUBLIC_URL: 'not a url' }, 'absolute URL'],
    [{ ROSTER_PUBLIC_URL: 'ftp://x' }, 'http(s)'],
    [{ ROSTER_BOOTSTRAP_TOKEN: 'short' }, '32 to 512'],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
