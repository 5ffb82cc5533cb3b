/**
 * Text that came from a file or the command line is never written to the terminal raw: control
 * characters (escape sequences, carriage returns, the C1 set, Unicode line separators, bidi
 * overrides) are shown as \xHH or \u{HHHH}, so a hostile model file cannot recolour, move or
 * clear the user's terminal, nor fake a line of output.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
