/**
 * A strict little HTML checker for the report (no validator package is installed): a doctype,
 * every element explicitly closed and properly nested, void elements not closed, self-closing
 * tags only inside <svg>, quoted attributes without duplicates, unique ids, known entities,
 * alt text on images, in-page links that resolve. Returns the problems found (none: []) and
 * how many elements of each name the text holds (to compare with what a browser parsed; those
 * inside <svg> as "svg:name").
 */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['style', 'script']);
const ENTITY = /^&(?:amp|lt|gt|quot|#39|#\d+|#x[0-9a-f]+|nbsp);/i;

export interface HtmlCheck {
  problems: string[];
  counts: Record<string, number>;
  ids: Set<string>;
}

export function checkHtml(html: string): HtmlCheck {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const ids = new Set<string>();
  const hrefs: string[] = [];
  const stack: string[] = [];
  if (!html.startsWith('<!DOCTYPE html>')) problems.push('does not start with <!DOCTYPE html>');
  let i = html.indexOf('>') + 1;
  const lineOf = (at: number) => html.slice(0, at).split('\n').length;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const text = html.slice(i, lt < 0 ? html.length : lt);
    for (let a = text.indexOf('&'); a >= 0; a = text.indexOf('&', a + 1)) {
      if (!ENTITY.test(text.slice(a))) problems.push(`line ${lineOf(i + a)}: bare & in text`);
    }
    if (/>/.test(text) && stack.length && !RAW_TEXT.has(stack[stack.length - 1])) problems.push(`line ${lineOf(i)}: bare > in text`);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*(\/?)>/.exec(html.slice(lt));
    if (!m) {
      problems.push(`line ${lineOf(lt)}: malformed tag ${JSON.stringify(html.slice(lt, lt + 40))}`);
      i = lt + 1;
      continue;
    }
    const [whole, closing, rawName, attrText, selfClosing] = m;
    const name = rawName.toLowerCase();
    const inSvg = stack.includes('svg');
    i = lt + whole.length;
    if (closing) {
      const top = stack.pop();
      if (top !== name) problems.push(`line ${lineOf(lt)}: </${name}> closes <${top}>`);
      continue;
    }
    const counted = inSvg ? `svg:${name}` : name; // <title> in SVG is not the page's title
    counts[counted] = (counts[counted] ?? 0) + 1;
    const attrs = new Map<string, string>();
    for (const a of attrText.matchAll(/([^\s=/>]+)(?:="([^"]*)")?/g)) {
      if (attrs.has(a[1])) problems.push(`line ${lineOf(lt)}: duplicate attribute ${a[1]} on <${name}>`);
      attrs.set(a[1], a[2] ?? '');
      if (a[2] !== undefined && /[<>]/.test(a[2])) problems.push(`line ${lineOf(lt)}: < or > in attribute ${a[1]}`);
      if (a[2] !== undefined) {
        for (let k = a[2].indexOf('&'); k >= 0; k = a[2].indexOf('&', k + 1)) {
          if (!ENTITY.test(a[2].slice(k))) problems.push(`line ${lineOf(lt)}: bare & in attribute ${a[1]}`);
        }
      }
    }
    const id = attrs.get('id');
    if (id !== undefined) {
      if (ids.has(id)) problems.push(`line ${lineOf(lt)}: duplicate id ${id}`);
      ids.add(id);
    }
    const href = attrs.get('href');
    if (href !== undefined) hrefs.push(href);
    if (name === 'img' && !attrs.get('alt')) problems.push(`line ${lineOf(lt)}: <img> without alt text`);
    if (VOID.has(name)) {
      if (selfClosing) problems.push(`line ${lineOf(lt)}: void <${name}/> written self-closing`);
      continue;
    }
    if (selfClosing) {
      if (!inSvg && name !== 'svg') problems.push(`line ${lineOf(lt)}: self-closing <${name}/> outside SVG`);
      continue;
    }
    if (RAW_TEXT.has(name)) {
      const end = html.indexOf(`</${name}>`, i);
      if (end < 0) problems.push(`line ${lineOf(lt)}: <${name}> never closed`);
      i = end < 0 ? html.length : end + name.length + 3;
      continue;
    }
    stack.push(name);
  }
  if (stack.length) problems.push(`unclosed elements at the end: ${stack.join(' > ')}`);
  for (const one of ['html', 'head', 'body', 'title']) if (counts[one] !== 1) problems.push(`${counts[one] ?? 0} <${one}> elements`);
  if (!/<meta charset="utf-8">/i.test(html)) problems.push('no <meta charset="utf-8">');
  for (const h of hrefs) if (h.startsWith('#') && !ids.has(h.slice(1))) problems.push(`link ${h} has no target`);
  return { problems, counts, ids };
}

/** Anything that would make the page fetch or link outside itself. */
export function externalReferences(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/https?:\/\/[^\s"'<>)]*/gi)) found.push(m[0]);
  for (const m of html.matchAll(/\b(?:src|href|xlink:href)="([^"]*)"/gi)) if (!/^(data:|#)/.test(m[1])) found.push(m[0]);
  for (const m of html.matchAll(/url\(\s*['"]?([^'")]*)/gi)) if (!m[1].startsWith('data:')) found.push(m[0]);
  if (/@import/i.test(html)) found.push('@import');
  if (/<link\b/i.test(html)) found.push('<link>');
  if (/<script\b/i.test(html)) found.push('<script>');
  if (/<(?:iframe|object|embed)\b/i.test(html)) found.push('embedded document');
  return found;
}
