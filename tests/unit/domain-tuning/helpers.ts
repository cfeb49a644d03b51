import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { PROJECT_ROOT } from '../../support/lab';

export const domainFixture = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'domain-xml', name), 'utf8');
export const capsFixture = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'host-capabilities', name), 'utf8');

/** Lines removed and added between two documents (trimmed), for "only these lines changed" checks. */
export function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    const lines = part.value.split('\n').filter((l) => l.length > 0).map((l) => l.trim());
    if (part.removed) removed.push(...lines);
    if (part.added) added.push(...lines);
  }
  return { removed, added };
}

/** Lines of the document that are foreign content a form never touches (comments, namespaces, CDATA…). */
export function foreignLines(xml: string): string[] {
  return xml.split('\n').filter((line) => /<!--|qemu:|libosinfo:|backup:|ops:|CDATA|&amp;|&apos;/.test(line));
}
