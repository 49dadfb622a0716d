/**
 * Scrub key-shaped strings from text that may reach logs, the database or API
 * responses (vendors echo key prefixes in 401 bodies). Known keys are removed
 * verbatim; anything that looks like a bearer or vendor key is masked too.
 */
const KEY_SHAPES = [/\bsk-[A-Za-z0-9_*-]{6,}/g, /\bBearer\s+[A-Za-z0-9._~+/*-]{8,}=*/gi, /\b(?:api[_-]?key|x-api-key)["'=: ]+[A-Za-z0-9._*-]{8,}/gi]

export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text
  for (const secret of knownSecrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]')
  for (const shape of KEY_SHAPES) out = out.replace(shape, '[redacted]')
  return out
}
