/**
 * Every error we raise carries a stable `code` (for programs and tests), a
 * message a person can act on, and the `cause` that led to it.
 */
export class WeighbridgeError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WeighbridgeError'
    this.code = code
  }
}

export interface ConfigIssue {
  /** Dotted path with indices, e.g. `providers[2].base_url`; empty for the whole file. */
  path: string
  message: string
}

export class ConfigError extends WeighbridgeError {
  readonly issues: readonly ConfigIssue[]
  readonly file: string | undefined
  constructor(issues: readonly ConfigIssue[], file?: string, options?: { cause?: unknown }) {
    const where = file ? `${file}: ` : ''
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')
    super('CONFIG_INVALID', `${where}${issues.length} problem(s) in config\n${lines}`, options)
    this.name = 'ConfigError'
    this.issues = issues
    this.file = file
  }
}

export class StoreError extends WeighbridgeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'StoreError'
  }
}

/** Message of an unknown thrown value, without ever throwing itself. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message
  try {
    return String(err)
  } catch {
    return 'unknown error'
  }
}
