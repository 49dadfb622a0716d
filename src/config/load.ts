import { readFileSync } from 'node:fs'
import { isNode, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { ConfigError, type ConfigIssue } from '../core/errors.js'
import { configSchema, type Config } from './schema.js'

/** `['providers', 2, 'base_url']` → `providers[2].base_url` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else out += out ? `.${String(seg)}` : String(seg)
  }
  return out
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  // Walk up until a node exists (a missing key is reported at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true)
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line
  }
  return undefined
}

function zodIssues(error: z.ZodError, doc: Document, counter: LineCounter): ConfigIssue[] {
  const located = error.issues.flatMap((issue) => {
    // One line per unknown key, at the key itself, so each is easy to find.
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path]
    return paths.map((path) => {
      const line = lineOf(doc, counter, path)
      const message = issue.code === 'unrecognized_keys' ? 'unknown key (not part of the config schema)' : issue.message
      return { path: formatPath(path), message: line === undefined ? message : `${message} (line ${line})`, line: line ?? 0 }
    })
  })
  located.sort((a, b) => a.line - b.line)
  return located.map(({ path, message }) => ({ path, message }))
}

/**
 * Parse and validate config text. Throws one ConfigError that lists every
 * problem found (YAML syntax, schema, cross-references), each with its path
 * and line, so a user fixes them all in one pass.
 */
export function parseConfig(text: string, file?: string): Config {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = counter.linePos(e.pos[0])
      return { path: '', message: `YAML ${e.code}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}` }
    })
    throw new ConfigError(issues, file)
  }
  const result = configSchema.safeParse(doc.toJS() ?? {})
  if (!result.success) throw new ConfigError(zodIssues(result.error, doc, counter), file)
  return result.data
}

export function loadConfigFile(file: string): Config {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new ConfigError([{ path: '', message: `cannot read config file (${code ?? 'error'})` }], file, { cause })
  }
  return parseConfig(text, file)
}
