#!/usr/bin/env node
import { runCli } from './cli.js'

// The process entry: real stdio, real signals. Everything else lives in runCli.
const untilStopped = () =>
  new Promise<string>((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(sig)
    }
    process.once('SIGINT', on)
    process.once('SIGTERM', on)
  })

process.on('unhandledRejection', (reason) => {
  // A bug, not an outcome: say so and exit, rather than run on in an unknown state.
  process.stderr.write(`fatal: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`)
  process.exit(70)
})

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, untilStopped, onReload: (fn) => void process.on('SIGHUP', fn) }).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 70
  },
)
