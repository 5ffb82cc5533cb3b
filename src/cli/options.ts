/**
 * Options as data: one table per command, the single source of the help text, the defaults,
 * the validation, the parsed argument types (ArgsOf), what --resume carries on, and the README's
 * option table (scripts/readme-options.ts prints it; a test keeps the README in step).
 *
 * A table is an object: key → spec, the key being the flag in camelCase ('--eta-patience' →
 * etaPatience, checked when the command is built). ArgsOf<typeof table> is the type of the
 * parsed values: a spec's `parse` gives the type, its `choices` the union of them, and a value
 * is optional unless the spec has a default.
 */
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';

export interface OptionSpec<T = unknown> {
  /** commander flags, e.g. '--epochs <n>' or '--no-shuffle'. */
  flags: string;
  description: string;
  /** Default as shown in help and README (undefined: none). */
  default?: string | number | boolean;
  /** The default's text when it is computed (e.g. "by activation"). */
  defaultText?: string;
  /** Turns the raw string into a value; throws UserError naming the flag. */
  parse?: (raw: string, flag: string) => T;
  choices?: readonly string[];
  /** With --resume: the value stored in the model carries on unless the flag is given again
   *  (train; the model file records every such option's value). */
  resumes?: boolean;
}

/** A command's options: key (the flag in camelCase) → spec. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type Parsed<S> = S extends { parse: (raw: string, flag: string) => infer T } ? T : S extends { choices: readonly (infer C)[] } ? C : string;

/** The parsed value of one option, by the shape of its flags: `--x <v>`, `--x [v]`, `--no-x`, `--x`. */
export type ValueOf<S> = S extends { flags: `--no-${string}` }
  ? boolean
  : S extends { flags: `${string}<${string}>` }
    ? S extends { default: string | number | boolean } ? Parsed<S> : Parsed<S> | undefined
    : S extends { flags: `${string}[${string}]` }
      ? Parsed<S> | true | undefined
      : true | undefined;

/** The parsed arguments of a command with option table T. */
export type ArgsOf<T extends OptionTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

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
  /** A factor in (0, 1]. */
  decay(raw: string, flag: string): number {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 1) fail(flag, raw, 'a number in (0, 1]');
    return v;
  },
  /** auto, 1 or 2. */
  threads(raw: string, flag: string): 'auto' | 1 | 2 {
    const v = raw.trim();
    if (v === 'auto') return v;
    if (v !== '1' && v !== '2') fail(flag, raw, 'auto, 1 or 2');
    return Number(v) as 1 | 2;
  },
  /** "30" or "100,30": hidden layer sizes. */
  layers(raw: string, flag: string): number[] {
    const parts = raw.split(',').map((s) => s.trim());
    if (raw.trim() === '' || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100000)) {
      fail(flag, raw, 'a comma-separated list of layer sizes (e.g. 30 or 100,30)');
    }
    return parts.map(Number);
  },
  /** "10" or "10,100": mini-batch sizes. */
  batchSizes(raw: string, flag: string): number[] {
    const parts = raw.split(',').map((s) => s.trim());
    if (raw.trim() === '' || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || !Number.isSafeInteger(Number(p)))) {
      fail(flag, raw, 'a comma-separated list of mini-batch sizes (e.g. 10 or 10,100)');
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

const specsOf = new WeakMap<Command, OptionTable>();

/** The option table a command was built from (README, tests). */
export function optionSpecsOf(cmd: Command): OptionTable | undefined {
  return specsOf.get(cmd);
}

/** Adds every option of the table to a commander command; values stay raw strings until `parseOptions`. */
export function addOptions(cmd: Command, table: OptionTable): Command {
  specsOf.set(cmd, table);
  for (const [key, spec] of Object.entries(table)) {
    if (optionKey(spec) !== key) throw new Error(`option ${spec.flags} is filed under ${key}, not ${optionKey(spec)}`);
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
export function parseOptions<T extends OptionTable>(table: T, raw: Record<string, unknown>): ArgsOf<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const value = raw[key];
    const parse = spec.parse ?? (spec.choices ? choice(spec.choices) : undefined);
    out[key] = typeof value !== 'string' || parse === undefined ? value : parse(value, `--${flagName(spec)}`);
  }
  return out as ArgsOf<T>;
}

/** The options given on the command line (not defaults), by key. */
export type Given<T extends OptionTable> = ReadonlySet<keyof T & string>;

/**
 * Adds the table's options to `cmd` and runs `action` with the parsed, typed arguments, the set
 * of options given on the command line, and the command's positional arguments.
 */
export function defineOptions<T extends OptionTable>(cmd: Command, table: T, action: (args: ArgsOf<T>, given: Given<T>, positional: string[]) => void | Promise<void>): Command {
  addOptions(cmd, table);
  cmd.action((...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const raw = params[params.length - 2] as Record<string, unknown>;
    const positional = params.slice(0, -2).flat() as string[];
    const given = new Set(Object.keys(raw).filter((k) => command.getOptionValueSource(k) === 'cli')) as Given<T>;
    return action(parseOptions(table, raw), given, positional);
  });
  return cmd;
}

/** The markdown table of a command's options (README). */
export function optionsTable(table: OptionTable): string {
  const rows = Object.values(table).map((s) => {
    const def = s.defaultText ?? (s.flags.startsWith('--no-') ? '' : s.default === undefined ? '' : String(s.default));
    const choices = s.choices ? ` (${s.choices.join(', ')})` : '';
    return `| \`${s.flags.replace(/\|/g, '\\|')}\` | ${s.description.replace(/\|/g, '\\|')}${choices} | ${def === '' ? '' : `\`${def}\``} |`;
  });
  return ['| option | meaning | default |', '| --- | --- | --- |', ...rows].join('\n');
}

/**
 * A resumed run's arguments: for every option that `resumes`, the stored value carries on
 * unless the flag was given again; everything else is as given (or its default).
 */
export function carryOn<T extends OptionTable>(table: T, args: ArgsOf<T>, given: Given<T>, stored: Readonly<Record<string, unknown>> | null): ArgsOf<T> {
  if (!stored) return args;
  const out: Record<string, unknown> = { ...args };
  for (const [key, spec] of Object.entries(table)) if (spec.resumes && !given.has(key) && stored[key] !== undefined) out[key] = stored[key];
  return out as ArgsOf<T>;
}

/** The values of every option that `resumes`: what a model file records for --resume. */
export function resumableValues<T extends OptionTable>(table: T, args: ArgsOf<T>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) if (spec.resumes) out[key] = args[key];
  return out;
}
