/**
 * GitHub Actions' job summary: when GITHUB_STEP_SUMMARY names a file, commands append a short
 * Markdown summary to it (the job summary GitHub shows on the run's page).
 */
import { appendFileSync } from 'node:fs';

/** Appends `markdown` to $GITHUB_STEP_SUMMARY; returns the problem as text when it cannot (never throws). */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return null;
  try {
    appendFileSync(file, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`);
    return null;
  } catch (err) {
    return `GITHUB_STEP_SUMMARY ${file}: cannot append the summary (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

/** A Markdown table: header row, separator, rows (cells' pipes escaped). */
export function markdownTable(head: string[], rows: (string | number)[][], align: ('l' | 'r')[] = []): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');
  const sep = head.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [head.map(cell), sep, ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
