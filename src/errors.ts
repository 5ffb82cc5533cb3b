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
