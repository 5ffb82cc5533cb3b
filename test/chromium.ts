/** Where the browser tests find Chromium (Debian's `chromium` package, or $CHROMIUM), and what they say when it is missing. */
import { existsSync } from 'node:fs';

export const CHROMIUM: string | undefined = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const SKIP = 'SKIPPED: Chromium is not installed (apt-get install chromium, or set CHROMIUM=/path/to/chrome)';
