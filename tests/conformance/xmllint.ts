/**
 * libxml2 as referee: `xmllint --noout --relaxng domain.rng f1 f2 …` (what virt-xml-validate runs), many
 * files per process. For each file xmllint prints "f validates" or "f fails to validate"; a file it
 * cannot parse gets neither (only its parser errors), and both count as rejected.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LibxmlVerdict =
  | { accepted: true }
  | { accepted: false; reason: 'invalid' | 'not-well-formed' | 'internal-error'; message: string };

const BATCH = 1000;

export function xmllintVersion(): string | null {
  const result = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return null;
  return `${result.stderr}${result.stdout}`.split('\n')[0]?.trim() ?? 'xmllint';
}

function runBatch(schema: string, files: readonly string[]): Promise<Map<string, LibxmlVerdict>> {
  // Output goes to a file, not a pipe: the caller may keep the event loop busy meanwhile.
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-xmllint-'));
  const outputFile = join(dir, 'output');
  const fd = openSync(outputFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', ['--noout', '--relaxng', schema, ...files], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.on('error', reject);
    child.on('close', () => {
      const output = readFileSync(outputFile, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      const lines = output.split('\n');
      if (lines.some((line) => /Relax-NG schema .* failed to compile|Relax-NG parser error/.test(line))) {
        reject(new Error(`xmllint could not compile ${schema}: ${lines.slice(0, 5).join(' / ')}`));
        return;
      }
      const wanted = new Set(files);
      const verdicts = new Map<string, LibxmlVerdict>();
      const firstMessage = new Map<string, string>();
      for (const line of lines) {
        if (line.endsWith(' validates') && wanted.has(line.slice(0, -' validates'.length))) {
          verdicts.set(line.slice(0, -' validates'.length), { accepted: true });
          continue;
        }
        const failed = / fails to validate$| validation generated an internal error$/.exec(line);
        const file = failed ? line.slice(0, failed.index) : null;
        if (file !== null && wanted.has(file)) {
          verdicts.set(file, {
            accepted: false,
            reason: failed?.[0].includes('internal') ? 'internal-error' : 'invalid',
            message: firstMessage.get(file) ?? '',
          });
          continue;
        }
        const colon = line.indexOf(':');
        const about = colon > 0 ? line.slice(0, colon) : '';
        if (wanted.has(about) && !firstMessage.has(about)) firstMessage.set(about, line.slice(colon + 1).trim());
      }
      for (const file of files) {
        if (!verdicts.has(file)) {
          verdicts.set(file, { accepted: false, reason: 'not-well-formed', message: firstMessage.get(file) ?? 'no verdict from xmllint' });
        }
      }
      resolve(verdicts);
    });
  });
}

/** Every file's verdict, `parallel` xmllint processes at a time. */
export async function xmllintValidate(schema: string, files: readonly string[], parallel = 2): Promise<Map<string, LibxmlVerdict>> {
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH) batches.push(files.slice(i, i + BATCH));
  const verdicts = new Map<string, LibxmlVerdict>();
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      for (const [file, verdict] of await runBatch(schema, batch)) verdicts.set(file, verdict);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker));
  return verdicts;
}
