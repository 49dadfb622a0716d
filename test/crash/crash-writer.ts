/**
 * Child process for the crash tests: writes samples as fast as the writer
 * takes them and prints `ACK <id>` for every sample whose batch has committed.
 * The parent kills it with SIGKILL at a random moment, then checks the file.
 *
 *   node --import tsx test/crash/crash-writer.ts DB_PATH
 */
import { randomUUID } from 'node:crypto'
import { silentLogger } from '../../src/log.js'
import { openDatabase } from '../../src/store/db.js'
import { sqliteSampleStore } from '../../src/store/sample-store.js'
import { createSampleWriter } from '../../src/store/sample-writer.js'
import { sample } from '../helpers/sample.js'

const store = sqliteSampleStore(openDatabase(process.argv[2]!, silentLogger))
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
  for (let i = 0; i < 50; i++) writer.add(sample({ id: randomUUID(), ts_ms: Date.now(), offering: `v${n % 7}/m`, ttft_ms: 100 + (n++ % 500) }))
  setImmediate(produce)
}
produce()
