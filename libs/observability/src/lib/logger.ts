import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { traceFields } from './tracing';

export type AppLogger = Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Structured JSON logs (one object per line) for every app. By default they go to stdout through an
 * asynchronous buffered writer (flushed synchronously when the process exits), so logging never blocks a
 * request on a slow pipe. Fields that could ever carry a secret are
 * redacted by path as a second line of defence; the first is never to log them.
 */
export function createLogger(service: string, level: LogLevel, destination?: DestinationStream): AppLogger {
  return pino(
    {
      level,
      base: { service },
      // trace_id and span_id of the active span, so log lines join their trace (nothing with tracing off).
      mixin: traceFields,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'token',
          '*.token',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'url',
          '*.url',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Routes NestJS's own framework logs through the same JSON logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: AppLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.logger.info(this.fields(rest), String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.logger.error(this.fields(rest), String(message));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.logger.warn(this.fields(rest), String(message));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.logger.debug(this.fields(rest), String(message));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.logger.trace(this.fields(rest), String(message));
  }

  private fields(rest: unknown[]): Record<string, unknown> {
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const stack = rest.length > 1 ? rest[0] : undefined;
    return {
      ...(typeof context === 'string' ? { context } : {}),
      ...(typeof stack === 'string' ? { stack } : {}),
    };
  }
}
