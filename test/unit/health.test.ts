import { describe, expect, it } from 'vitest'
import { HealthTracker, type HealthParams } from '../../src/routing/health.js'

const P: HealthParams = { fall: 2, rise: 3, ejectionBaseMs: 30_000, ejectionMaxMs: 90_000, maxEjectionPercent: 34, slowStartMs: 60_000 }
const OFF = ['a/m', 'b/m', 'c/m', 'd/m', 'e/m', 'f/m']

describe('offering health', () => {
  it('ejects after `fall` provider failures in a row, not before, and not for 429s or our own failures', () => {
    const h = new HealthTracker(P)
    for (let i = 0; i < 10; i++) h.observe('a/m', 'http.429', 'quota', i)
    h.observe('a/m', 'auth.key', 'local', 10)
    expect(h.cycle(OFF, 11)[0]!.state).toBe('healthy')
    expect(h.observe('a/m', 'http.5xx', 'provider', 12)).toBe(true)
    expect(h.cycle(OFF, 13)[0]).toMatchObject({ state: 'probation', multiplier: 0.5 })
    h.observe('a/m', 'ok', null, 14) // one success ends a streak that never reached an ejection
    expect(h.cycle(OFF, 15)[0]!.state).toBe('healthy')
    h.observe('a/m', 'http.5xx', 'provider', 16)
    h.observe('a/m', 'timeout.ttft', 'provider', 17)
    const v = h.cycle(OFF, 18)[0]!
    expect(v).toMatchObject({ state: 'ejected', multiplier: 0 })
    expect(v.reason).toMatch(/ejected after 2 provider failures in a row \(last timeout.ttft\); ejection #1, back on trial in 30 s/)
  })

  it('ejection grows with each repeat and is capped; trial needs `rise` successes, then a slow start', () => {
    const h = new HealthTracker(P)
    let t = 0
    const eject = () => {
      h.observe('a/m', 'http.5xx', 'provider', ++t)
      h.observe('a/m', 'http.5xx', 'provider', ++t)
      return h.cycle(OFF, ++t)[0]!
    }
    expect(eject().state).toBe('ejected')
    expect(h.cycle(OFF, t + 29_000)[0]!.state).toBe('ejected')
    t += 30_000
    expect(h.cycle(OFF, t)[0]).toMatchObject({ state: 'probation', multiplier: 0 }) // on trial: probes only, no traffic
    h.observe('a/m', 'http.5xx', 'provider', ++t) // one failure on trial: out again, for longer
    expect(h.cycle(OFF, ++t)[0]!.reason).toMatch(/ejection #2, back on trial in 60 s/)
    t += 60_000
    h.cycle(OFF, t)
    h.observe('a/m', 'http.5xx', 'provider', ++t)
    expect(h.cycle(OFF, ++t)[0]!.reason).toMatch(/ejection #3, back on trial in 90 s/)
    t += 90_000
    h.cycle(OFF, t)
    h.observe('a/m', 'http.5xx', 'provider', ++t)
    expect(h.cycle(OFF, ++t)[0]!.reason).toMatch(/ejection #4, back on trial in 90 s/) // capped at ejection_max
    t += 90_000
    h.cycle(OFF, t)
    for (let i = 0; i < 2; i++) h.observe('a/m', 'ok', null, ++t)
    expect(h.cycle(OFF, ++t)[0]!.state).toBe('probation') // 2 of 3
    h.observe('a/m', 'ok', null, ++t)
    const start = t
    expect(h.cycle(OFF, start)[0]).toMatchObject({ state: 'probation', multiplier: 0.1 })
    expect(h.cycle(OFF, start + 30_000)[0]!.multiplier).toBeCloseTo(0.5, 5)
    expect(h.cycle(OFF, start + 60_000)[0]).toMatchObject({ state: 'healthy', multiplier: 1 })
  })

  it('never ejects more than max_ejection_percent of a model at once, nor more than ⌈10%⌉ per cycle', () => {
    const h = new HealthTracker(P)
    for (const o of OFF) for (let i = 0; i < 3; i++) h.observe(o, 'http.5xx', 'provider', i)
    const first = h.cycle(OFF, 10)
    expect(first.filter((v) => v.state === 'ejected')).toHaveLength(1) // ⌈6/10⌉ per cycle
    expect(first.filter((v) => v.reason?.includes('may be out at once'))).toHaveLength(5)
    h.cycle(OFF, 11)
    const third = h.cycle(OFF, 12)
    expect(third.filter((v) => v.state === 'ejected')).toHaveLength(2) // floor(34% of 6)
    expect(third.filter((v) => v.state === 'probation')).toHaveLength(4)
  })
})
