import type { Blame } from '../core/outcome.js'

/**
 * Health per offering, from probe outcomes as they land, with the habits of
 * load balancers that have carried production traffic for years:
 *
 * - hysteresis: `fall` consecutive provider-blamed failures to eject, `rise`
 *   consecutive successes to come back (HAProxy);
 * - ejection time grows with each repeat, capped (Envoy: base × times ejected),
 *   and the count is forgotten after a long healthy spell;
 * - at most `max_ejection_percent` of a model's offerings ejected at once, and at
 *   most ⌈10%⌉ newly ejected per cycle (Envoy's max_ejection_percent), so a fault
 *   of our own cannot empty a model;
 * - slow start: a recovered offering's weight ramps back over `slow_start_s`.
 *
 * Only provider-blamed failures count: a 429 is the vendor's quota, not its
 * health, and a local failure is ours. Pure apart from its own state; time comes in.
 */
export interface HealthParams {
  fall: number
  rise: number
  ejectionBaseMs: number
  ejectionMaxMs: number
  maxEjectionPercent: number
  slowStartMs: number
}

export type HealthState = 'healthy' | 'probation' | 'ejected'

export interface HealthVerdict {
  state: HealthState
  /** What the offering's share is multiplied by: 0 when ejected, ramps up in slow start. */
  multiplier: number
  reason: string | null
}

type Phase = 'healthy' | 'failing' | 'ejected' | 'trial' | 'ramping'

interface Track {
  phase: Phase
  fails: number
  oks: number
  ejections: number
  ejectedUntil: number
  since: number
  lastError: string | null
}

/**
 * Weight multipliers outside full health. On trial an offering gets no user
 * traffic at all: the prober's own requests are the trial (that is what a
 * prober is for), so no gateway request is spent finding out.
 */
const FAILING = 0.5
const TRIAL = 0
const RAMP_FLOOR = 0.1

export class HealthTracker {
  private readonly tracks = new Map<string, Track>()
  /** Offerings that want ejecting as soon as a cycle allows. */
  private readonly pending = new Set<string>()

  constructor(private readonly p: HealthParams) {}

  private track(offering: string, now: number): Track {
    let t = this.tracks.get(offering)
    if (!t) this.tracks.set(offering, (t = { phase: 'healthy', fails: 0, oks: 0, ejections: 0, ejectedUntil: 0, since: now, lastError: null }))
    return t
  }

  /**
   * One probe outcome. Returns true when it changed what a cycle would decide
   * (a new failure streak, an ejection wanted, a recovery), so the caller can
   * recompute at once instead of waiting for its timer.
   */
  observe(offering: string, outcome: string, blame: Blame | null, now: number): boolean {
    const t = this.track(offering, now)
    if (outcome === 'ok') {
      t.fails = 0
      t.oks++
      this.pending.delete(offering)
      // A failure streak that never reached an ejection ends with the next success;
      // after an ejection it takes `rise` of them, then the slow start.
      if (t.phase === 'failing' || (t.phase === 'trial' && t.oks >= this.p.rise)) {
        t.phase = t.phase === 'trial' ? 'ramping' : 'healthy'
        t.since = now
        return true
      }
      return false
    }
    if (blame !== 'provider') return false
    t.oks = 0
    t.fails++
    t.lastError = outcome
    if (t.phase === 'ejected') return false
    if (t.phase === 'trial' || t.phase === 'ramping' || t.fails >= this.p.fall) {
      this.pending.add(offering)
      if (t.phase !== 'trial' && t.phase !== 'ramping') t.phase = 'failing'
      return true
    }
    if (t.phase === 'healthy') {
      t.phase = 'failing'
      return true
    }
    return false
  }

  /**
   * Decide every offering of one model at `now`: ejections that are due and
   * allowed by the caps, ejections that have run out, ramps. Returns a verdict
   * per offering, in the order given.
   */
  cycle(offerings: readonly string[], now: number): HealthVerdict[] {
    const tracks = offerings.map((o) => this.track(o, now))
    for (const t of tracks) {
      if (t.phase === 'ejected' && now >= t.ejectedUntil) {
        // Back on trial: `rise` probe successes bring it back, one failure ejects it again, for longer.
        t.phase = 'trial'
        t.oks = 0
        t.since = now
      } else if (t.phase === 'ramping' && now - t.since >= this.p.slowStartMs) {
        t.phase = 'healthy'
        t.since = now
      } else if (t.phase === 'healthy' && t.ejections > 0 && now - t.since >= 10 * this.p.ejectionMaxMs) t.ejections = 0
    }
    // At least one may always be ejected (as in Envoy); beyond that the percentage rules.
    const maxEjected = Math.max(1, Math.floor((this.p.maxEjectionPercent / 100) * offerings.length))
    const perCycle = Math.ceil(offerings.length / 10)
    let ejected = tracks.filter((t) => t.phase === 'ejected').length
    let newly = 0
    const capped = new Set<string>()
    const wanting = offerings.filter((o) => this.pending.has(o)).sort((a, b) => this.tracks.get(b)!.fails - this.tracks.get(a)!.fails)
    for (const o of wanting) {
      const t = this.tracks.get(o)!
      if (ejected >= maxEjected || newly >= perCycle) {
        capped.add(o)
        continue
      }
      this.pending.delete(o)
      t.ejections++
      t.phase = 'ejected'
      t.since = now
      t.ejectedUntil = now + Math.min(this.p.ejectionBaseMs * t.ejections, this.p.ejectionMaxMs)
      ejected++
      newly++
    }
    return tracks.map((t, i) => this.verdict(t, now, capped.has(offerings[i]!), maxEjected))
  }

  private verdict(t: Track, now: number, capped: boolean, maxEjected: number): HealthVerdict {
    const s = (ms: number) => `${Math.round(ms / 1000)} s`
    switch (t.phase) {
      case 'healthy':
        return { state: 'healthy', multiplier: 1, reason: null }
      case 'failing':
        return {
          state: 'probation',
          multiplier: FAILING,
          reason: capped
            ? `${t.fails} provider failures in a row (last ${t.lastError}); not ejected yet: at most ${maxEjected} of this model's offerings may be out at once, and ⌈10%⌉ newly per cycle`
            : `${t.fails} provider failure${t.fails === 1 ? '' : 's'} in a row (last ${t.lastError}); ejected at ${this.p.fall}`,
        }
      case 'ejected':
        return { state: 'ejected', multiplier: 0, reason: `ejected after ${t.fails} provider failures in a row (last ${t.lastError}); ejection #${t.ejections}, back on trial in ${s(Math.max(0, t.ejectedUntil - now))}` }
      case 'trial':
        return { state: 'probation', multiplier: TRIAL, reason: `on trial after ejection #${t.ejections}: ${t.oks} of ${this.p.rise} probe successes needed before it gets traffic again` }
      case 'ramping': {
        const f = Math.min(1, Math.max(RAMP_FLOOR, (now - t.since) / this.p.slowStartMs))
        return { state: 'probation', multiplier: f, reason: `recovered; slow start at ${Math.round(f * 100)}% of its share` }
      }
    }
  }
}
