import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { DeferredChildLogger, deferredChildLoggerFactory } from './deferred-logger.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const root = pino({ level, redact: { paths: ['secret'], censor: '[redacted]' } }, stream);
  const lineOf = (entry: Record<string, unknown>) => {
    const { time: _time, pid: _pid, hostname: _host, ...rest } = entry;
    return rest;
  };
  return { root, lines: () => lines.map(lineOf) };
}

describe('DeferredChildLogger', () => {
  it('writes the same lines as pino children made at once', () => {
    const eager = capture('info');
    const deferred = capture('info');
    eager.root.child({ reqId: 'r1' }).child({ tenantId: 't1' }).warn({ secret: 's', n: 1 }, 'hello');
    new DeferredChildLogger(deferred.root, { reqId: 'r1' })
      .child({ tenantId: 't1' })
      .warn({ secret: 's', n: 1 }, 'hello');
    expect(deferred.lines()).toEqual(eager.lines());
    expect(deferred.lines()[0]).toMatchObject({ reqId: 'r1', tenantId: 't1', secret: '[redacted]', msg: 'hello' });
  });

  it('makes no pino child for a line below the level, and one for a line at it', () => {
    const { root, lines } = capture('warn');
    const child = vi.spyOn(root, 'child');
    const log = new DeferredChildLogger(root, { reqId: 'r2' }).child({ tenantId: 't2' });
    log.info('not written');
    log.debug({ a: 1 }, 'not written');
    expect(child).not.toHaveBeenCalled();
    log.error('written');
    log.warn('written too');
    expect(child).toHaveBeenCalledTimes(1);
    expect(child).toHaveBeenCalledWith({ reqId: 'r2', tenantId: 't2' });
    expect(lines().map((l) => l.msg)).toEqual(['written', 'written too']);
  });

  it('follows a level set on it, as a pino child would', () => {
    const { root, lines } = capture('warn');
    const log = new DeferredChildLogger(root, { reqId: 'r3' });
    expect(log.level).toBe('warn');
    log.level = 'debug';
    log.debug('now written');
    expect(log.level).toBe('debug');
    expect(root.level).toBe('warn');
    expect(lines()).toEqual([{ level: 20, reqId: 'r3', msg: 'now written' }]);
  });

  it('makes children with options (a level, serializers) at once, as pino does', () => {
    const { root, lines } = capture('warn');
    const factoryMade = deferredChildLoggerFactory(root, { reqId: 'r4' }, { level: 'info' });
    expect(factoryMade).not.toBeInstanceOf(DeferredChildLogger);
    factoryMade.info('route level');
    new DeferredChildLogger(root, { reqId: 'r5' }).child({ tenantId: 't5' }, { level: 'info' }).info('child level');
    expect(lines().map((l) => [l.reqId, l.tenantId, l.msg])).toEqual([
      ['r4', undefined, 'route level'],
      ['r5', 't5', 'child level'],
    ]);
    expect(deferredChildLoggerFactory(root, { reqId: 'r6' }, {})).toBeInstanceOf(DeferredChildLogger);
  });
});
