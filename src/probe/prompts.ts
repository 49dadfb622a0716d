import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WeighbridgeError } from '../core/errors.js'
import type { Rng } from '../core/random.js'
import type { ProbePrompt } from '../core/types.js'

/** The shipped corpus, found relative to this file: src/ and dist/ sit one level down, the benchmarks' build/src/ two. */
export const DEFAULT_CORPUS = ['../../probes/prompts/', '../../../probes/prompts/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../../probes/prompts/', import.meta.url))

export interface PromptCorpus {
  questions: readonly string[]
}

export function loadCorpus(dir = DEFAULT_CORPUS): PromptCorpus {
  const questions: string[] = []
  for (const file of ['vicuna_bench_question.jsonl', 'mt_bench_question.jsonl']) {
    const path = dir + file
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return
        let row: { turns?: unknown }
        try {
          row = JSON.parse(line) as { turns?: unknown }
        } catch (cause) {
          throw new WeighbridgeError('PROMPTS_INVALID', `${path}:${i + 1}: not valid JSON`, { cause })
        }
        const first = Array.isArray(row.turns) ? row.turns[0] : undefined
        if (typeof first !== 'string') throw new WeighbridgeError('PROMPTS_INVALID', `${path}:${i + 1}: "turns[0]" must be a string`)
        questions.push(first)
      })
  }
  if (questions.length === 0) throw new WeighbridgeError('PROMPTS_EMPTY', `no questions found under ${dir}`)
  return { questions }
}

/** ≈ 4 characters per token for English text; padding targets are approximate by design. */
const CHARS_PER_TOKEN = 4

/**
 * The prompt for one round: the same text goes to every offering of the round
 * (a fair comparison), and a fresh round id leads it (no prefix-cache hits).
 */
export function buildPrompt(corpus: PromptCorpus, bucket: { name: string; input_tokens: number; max_tokens: number }, roundId: string, rng: Rng): ProbePrompt {
  const pick = () => corpus.questions[Math.floor(rng.next() * corpus.questions.length)]!
  const question = pick()
  const head = `[probe ${roundId}] `
  const target = bucket.input_tokens * CHARS_PER_TOKEN
  let context = ''
  while (head.length + context.length + question.length < target) context += `${pick()}\n\n`
  const user = context ? `${head}Some earlier questions, for context only:\n\n${context}Now answer this one: ${question}` : head + question
  return { bucket: bucket.name, user, max_tokens: bucket.max_tokens, round_id: roundId }
}
