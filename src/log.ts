import { pino, type Logger as PinoLogger } from 'pino'

/** The logging surface the daemon uses; pino implements it, tests can pass a silent one. */
export type Logger = Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug' | 'child'>

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/**
 * Structured JSON logs on stderr (stdout is for command output). Anything that
 * can carry a credential is redacted by path, whatever logs it.
 */
export function createLogger(level: LogLevel = 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { app: 'weighbridge' },
      redact: {
        paths: ['*.authorization', '*.Authorization', '*["x-api-key"]', '*.apiKey', '*.api_key', 'headers.authorization', 'headers["x-api-key"]'],
        censor: '[redacted]',
      },
    },
    destination,
  )
}

export const silentLogger: Logger = pino({ level: 'silent' })
