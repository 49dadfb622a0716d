import type { Rng } from '../core/random.js'

/**
 * Token-sized pieces of text. Each entry is one o200k_base token (a common
 * English word with its leading space), so a reference tokenizer counts the
 * simulated output close to the usage the simulator reports, as with a real vendor.
 */
const ANSWER_WORDS = (
  ' the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their has been if more when will would who so no time can people two may first about like new other some these only could into than years after most such them over its also made well many where before through very then between'
).split(/(?= )/)

const REASONING_WORDS = (
  ' let me think about this first check whether the question asks for step then consider each case so we need to compare both options and verify that result holds because given wait actually'
).split(/(?= )/)

export function tokenText(rng: Rng, reasoning: boolean): string {
  const words = reasoning ? REASONING_WORDS : ANSWER_WORDS
  return words[Math.floor(rng.next() * words.length)]!
}

/** A rough prompt-token estimate for reported usage (≈ 4 characters per token). */
export function estimatePromptTokens(text: string): number {
  return Math.max(1, Math.round(text.length / 4))
}
