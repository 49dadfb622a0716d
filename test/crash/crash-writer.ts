/**
 * Child process for the crash tests: writes samples as fast as the writer
 * takes them and prints `ACK <id>` for every sample whose batch has committed.
 * It seals hours into rollups as it goes. The parent kills it with SIGKILL at a
 * random moment, then checks the file.
 *
 *   node --import tsx test/crash/crash-writer.ts DB_PATH
 */
import { randomUUID } from 'node:crypto'
import { silentLogger } from '../../src/log.js'
import { openDatabase } from '../../src/store/db.js'
import { sqliteSampleStore } from '../../src/store/sample-store.js'
import { createSampleWriter } from '../../src/store/sample-writer.js'
import { sample, TEST_SLO } from '../helpers/sample.js'

const store = sqliteSampleStore(openDatabase(process.argv[2]!, silentLogger), TEST_SLO)
// Sample time runs at 100 s per sample from a fixed hour, so hours seal while the process is killed at random;
// every 20th sample arrives late, into an hour already sealed.
const T0 = Date.UTC(2026, 10, 20)
setInterval(() => store.seal(T0 + n * 100_000, 0), 5).unref()
let acks = ''
const writer = createSampleWriter(store, silentLogger, {
  flushMs: 2,
  maxBatch: 200,
  // Acknowledge only what has committed; a write to a pipe may be lost with the process, which only under-reports.
  onCommit: (batch) => {
    for (const s of batch) acks += `ACK ${s.id}\n`
    process.stdout.write(acks)
    acks = ''
  },
})
process.stdout.write('READY\n')
let n = 0
const produce = () => {
  for (let i = 0; i < 50; i++) {
    const ts = n % 20 === 19 ? T0 + (n - 200) * 100_000 : T0 + n * 100_000
    writer.add(sample({ id: randomUUID(), ts_ms: Math.max(T0, ts), offering: `v${n % 7}/m`, ttft_ms: 100 + (n++ % 500) }))
  }
  setImmediate(produce)
}
produce()
