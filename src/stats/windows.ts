export const WINDOWS = { '5m': 5 * 60_000, '30m': 30 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '72h': 3 * 86_400_000, '7d': 7 * 86_400_000 } as const
export type WindowName = keyof typeof WINDOWS
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[]

export function isWindowName(s: string): s is WindowName {
  return s in WINDOWS
}
