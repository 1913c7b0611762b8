import { type Logger as PinoLogger, pino } from 'pino';
import { redact, redactDeep } from './redact.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** File to write JSON lines to (created with its folder by the caller); stdout when omitted. */
  file?: string;
  level?: string;
  bindings?: Record<string, unknown>;
}

/** A pino logger whose messages pass through `redact`, so secrets never reach a log. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.file
    ? pino.destination({ dest: options.file, sync: true })
    : pino.destination(1);
  return pino(
    {
      level: options.level ?? 'info',
      base: options.bindings ?? null,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'kubeconfig', 'env'],
        censor: '***',
      },
      // Objects and messages alike: a URL with a password in a logged field is masked too.
      formatters: { log: (object) => redactDeep(object) },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<
            typeof method
          >;
          method.apply(this, redacted);
        },
      },
    },
    destination,
  );
}

/** A logger that drops everything (tests and library callers that do not care). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
