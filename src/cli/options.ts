/**
 * Options as data: one table per command, the single source of the help text, the defaults,
 * the validation and the README's option table (scripts/readme-options.ts prints it; a test
 * keeps the README in step).
 */
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';

export interface OptionSpec {
  /** commander flags, e.g. '--epochs <n>' or '--no-shuffle'. */
  flags: string;
  description: string;
  /** Default as shown in help and README (undefined: none). */
  default?: string | number | boolean;
  /** The default's text when it is computed (e.g. "by activation"). */
  defaultText?: string;
  /** Turns the raw string into a value; throws UserError naming the flag. */
  parse?: (raw: string, flag: string) => unknown;
  choices?: readonly string[];
}

const fail = (flag: string, raw: string, what: string): never => {
  throw new UserError(`${flag}: ${JSON.stringify(raw)} is not ${what}`);
};

export const parsers = {
  positiveInt(raw: string, flag: string): number {
    if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) fail(flag, raw, 'a positive integer');
    return Number(raw);
  },
  nonNegativeInt(raw: string, flag: string): number {
    if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(Number(raw))) fail(flag, raw, 'a whole number ≥ 0');
    return Number(raw);
  },
  seed(raw: string, flag: string): number {
    if (!/^\s*\d+\s*$/.test(raw) || Number(raw) > 0xffffffff) fail(flag, raw, 'an integer from 0 to 4294967295');
    return Number(raw);
  },
  positiveNumber(raw: string, flag: string): number {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) fail(flag, raw, 'a positive finite number');
    return v;
  },
  nonNegativeNumber(raw: string, flag: string): number {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < 0) fail(flag, raw, 'a finite number ≥ 0');
    return v;
  },
  fraction(raw: string, flag: string): number {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v >= 1) fail(flag, raw, 'a number in [0, 1)');
    return v;
  },
  /** "30" or "100,30": hidden layer sizes. */
  layers(raw: string, flag: string): number[] {
    const parts = raw.split(',').map((s) => s.trim());
    if (raw.trim() === '' || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100000)) {
      fail(flag, raw, 'a comma-separated list of layer sizes (e.g. 30 or 100,30)');
    }
    return parts.map(Number);
  },
  text(raw: string, flag: string): string {
    if (raw.trim() === '') fail(flag, raw, 'a non-empty value');
    return raw;
  },
};

export function choice(choices: readonly string[]) {
  return (raw: string, flag: string): string => {
    if (!choices.includes(raw)) fail(flag, raw, `one of ${choices.join(', ')}`);
    return raw;
  };
}

/** The long flag name of a spec ('--eta-decay <k>' → 'eta-decay'), and its camelCase key. */
export function flagName(spec: OptionSpec): string {
  const m = /--(?:no-)?([a-z0-9-]+)/.exec(spec.flags);
  if (!m) throw new Error(`bad flags ${spec.flags}`);
  return m[1];
}

export function optionKey(spec: OptionSpec): string {
  return flagName(spec).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const specsOf = new WeakMap<Command, readonly OptionSpec[]>();

/** The option table a command was built from (README, tests). */
export function optionSpecsOf(cmd: Command): readonly OptionSpec[] | undefined {
  return specsOf.get(cmd);
}

/** Adds every option of the table to a commander command; values stay raw strings until `parseOptions`. */
export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  specsOf.set(cmd, specs);
  for (const spec of specs) {
    let text = spec.choices ? `${spec.description} (${spec.choices.join(', ')})` : spec.description;
    if (spec.defaultText !== undefined) text += ` (default: ${spec.defaultText})`;
    const opt = new Option(spec.flags, text);
    if (spec.default !== undefined && !spec.flags.startsWith('--no-')) opt.default(spec.default);
    cmd.addOption(opt);
  }
  return cmd;
}

/**
 * Validates commander's raw option values against the table: returns typed values (defaults
 * filled in), or throws one UserError naming the first bad flag.
 */
export function parseOptions(specs: readonly OptionSpec[], raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const key = optionKey(spec);
    const value = raw[key];
    const parse = spec.parse ?? (spec.choices ? choice(spec.choices) : undefined);
    out[key] = typeof value !== 'string' || parse === undefined ? value : parse(value, `--${flagName(spec)}`);
  }
  return out;
}

/** The markdown table of a command's options (README). */
export function optionsTable(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const def = s.defaultText ?? (s.flags.startsWith('--no-') ? '' : s.default === undefined ? '' : String(s.default));
    const choices = s.choices ? ` (${s.choices.join(', ')})` : '';
    return `| \`${s.flags.replace(/\|/g, '\\|')}\` | ${s.description.replace(/\|/g, '\\|')}${choices} | ${def === '' ? '' : `\`${def}\``} |`;
  });
  return ['| option | meaning | default |', '| --- | --- | --- |', ...rows].join('\n');
}
