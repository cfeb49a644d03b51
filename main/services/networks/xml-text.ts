/** Writing small libvirt XML elements by hand, in libvirt's own style (single quotes, `<empty/>`). */

export const escapeXml = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

export type Attrs = Record<string, string | number | null | undefined>;

/** ` a='1' b='x'`, skipping null/undefined values. */
export function attrs(values: Attrs): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== undefined)
    .map(([name, value]) => ` ${name}='${escapeXml(String(value))}'`)
    .join('');
}

/** An element with attributes and child lines (already indented one level deeper), or `<x/>` when empty. */
export function element(name: string, values: Attrs, body: string[] = [], indent = ''): string[] {
  if (body.length === 0) return [`${indent}<${name}${attrs(values)}/>`];
  return [`${indent}<${name}${attrs(values)}>`, ...body, `${indent}</${name}>`];
}

/** Indents every line by `by` more spaces. */
export const indented = (lines: string[], by = 2): string[] => lines.map((line) => `${' '.repeat(by)}${line}`);
