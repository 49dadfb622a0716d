/**
 * Time comes in through this interface so that durations are always taken
 * from a monotonic source and tests can control wall time.
 *
 * `monoMs` is for durations only (never stored as a timestamp); `wallMs` is
 * for the sample's timestamp only (never subtracted to get a duration).
 */
export interface Clock {
  monoMs(): number
  wallMs(): number
}

export const systemClock: Clock = {
  monoMs: () => performance.now(),
  wallMs: () => Date.now(),
}
