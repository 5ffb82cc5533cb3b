/**
 * The rules every request of `digit-train serve` passes before it reaches the API: it is a
 * server on someone's laptop, so
 *   - the Host header must name this server (a page on another site that rebinds its DNS name
 *     to 127.0.0.1 sends its own name: refused, so no foreign page can read our answers),
 *   - a write (POST) must come from our own page: an Origin other than ours, or a
 *     Sec-Fetch-Site other than same-origin, is refused, and its body must be JSON (a type no
 *     cross-site form can send without a preflight, which we never grant),
 *   - bodies are read up to a small limit, and must be one JSON object,
 *   - every refusal is one 4xx answer `{"error": "..."}`.
 * Nothing here knows about networks: the rules are plain functions of the request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';

/** Largest request body: a 280×280 drawing as PNG is a few tens of kB. */
export const MAX_BODY = 256 * 1024;

/** A request refused with an HTTP status and a one-line reason (sent as JSON). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The Content-Security-Policy of every answer: our own script and style, images we make, requests to ourselves only. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/** The Host values this server answers to: each address it listens on, with the port ("127.0.0.1:8080", "[::1]:8080", "localhost:8080"). */
export function allowedHosts(addresses: readonly string[], port: number): Set<string> {
  const names = [...addresses, 'localhost'];
  // A wildcard address (0.0.0.0, ::) is reached by the machine's own addresses.
  if (addresses.some((a) => a === '0.0.0.0' || a === '::')) {
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.push(i.address);
  }
  const hosts = new Set<string>();
  for (const a of names) hosts.add(a.includes(':') ? `[${a.toLowerCase()}]:${port}` : `${a.toLowerCase()}:${port}`);
  return hosts;
}

/** Throws 403 unless the request's Host header is one of ours (DNS rebinding). */
export function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? '')} is not this server`);
}

/** Throws 403 for a write that does not come from our own page (Origin, Sec-Fetch-Site), 415 for a body that is not JSON. */
export function checkSameOrigin(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.startsWith('http://') && hosts.has(origin.slice(7).toLowerCase()))) throw new HttpError(403, `cross-origin request from ${origin} refused`);
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `cross-site request (Sec-Fetch-Site: ${site}) refused`);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'the body must be JSON (Content-Type: application/json)');
}

/** Reads the body (at most `limit` bytes, else 413) and parses it as one JSON object (else 400). */
export function readJson(req: IncomingMessage, limit = MAX_BODY): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `the body is larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new HttpError(413, `the body is larger than ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reject(new HttpError(400, 'the body is not valid JSON'));
        return;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) reject(new HttpError(400, 'the body must be a JSON object'));
      else resolve(value as Record<string, unknown>);
    });
  });
}

/** Sends `body` with the security headers; JSON unless a content type is given. */
export function send(res: ServerResponse, status: number, body: unknown, type?: string): void {
  const text = type === undefined ? JSON.stringify(body) : (body as string | Buffer);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type ?? 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends an error as `{"error": message}`; closes the connection when the body was not read to the end. */
export function sendError(res: ServerResponse, status: number, message: string, close = false): void {
  if (close) res.setHeader('Connection', 'close');
  send(res, status, { error: message });
}
