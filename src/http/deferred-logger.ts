// A request's logger that becomes a pino child only when it first writes a line.
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString, Logger } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify gives every request a pino child ({reqId}), and an authenticated surface adds one more ({tenantId}).
 * Making the two costs about 10 µs of CPU per request (pino serialises the bindings at once), a twentieth of a
 * SCIM GET, while most requests write no line at all at the levels Roster runs at. This logger keeps the bindings
 * and makes one pino child, with all of them, when a line is written at an enabled level. The lines are the same.
 */
export class DeferredChildLogger implements FastifyBaseLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.materialized().level = level;
  }

  private materialized(): Logger {
    this.#child ??= this.parent.child(this.bindings);
    return this.#child;
  }

  private write(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.materialized()[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    // Options (a level, serializers) change how lines are made: those children are made now, as pino makes them.
    if (this.#child !== undefined || (options !== undefined && Object.keys(options).length > 0)) {
      return this.materialized().child(bindings, options);
    }
    return new DeferredChildLogger(this.parent, { ...this.bindings, ...bindings });
  }
}

/** Fastify's childLoggerFactory: the request's child is deferred unless the route sets its own level or serializers. */
export function deferredChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const pinoLogger = logger as Partial<Logger>;
  if (Object.keys(options).length > 0 || typeof pinoLogger.isLevelEnabled !== 'function') {
    return logger.child(bindings, options);
  }
  return new DeferredChildLogger(logger as Logger, bindings);
}
