import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadmeOptions } from '../../src/cli/readme.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('opens with the set-up: install, run, test', () => {
    const block = readme.split('```')[1];
    expect(block).toMatch(/^sh\nnpm install\b.*\nnpx digit-train --epochs 30 --batch 10\b.*\nnpm test\b/);
  });

  it('option tables match the option definitions (npx tsx scripts/readme-options.ts)', () => {
    expect(renderReadmeOptions(readme)).toBe(readme);
    expect(readme).toMatch(/<!-- options:train -->\n\| option/);
  });
});
