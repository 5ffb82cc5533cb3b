/** Opens a file or URL with the desktop's own program: open (macOS), start (Windows), xdg-open (elsewhere). */
import { spawn } from 'node:child_process';

/** The opener for a platform: command and the arguments before the URL. */
export function opener(platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [] };
  // `start` is a cmd built-in; its first quoted argument is a window title, hence the "".
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/**
 * Starts the opener on `url`, detached (it outlives us, and we do not wait for the browser).
 * Resolves with null once it started, or with the reason it could not start.
 */
export function openExternally(url: string): Promise<string | null> {
  const { command, args } = opener();
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(command, [...args, url], { detached: true, stdio: 'ignore', windowsVerbatimArguments: process.platform === 'win32' });
    } catch (err) {
      resolve(`${command}: ${(err as Error).message}`);
      return;
    }
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? `${command} was not found` : `${command}: ${err.message}`));
    child.once('spawn', () => {
      child.unref();
      resolve(null);
    });
  });
}
