/**
 * VirtDeck's domain XML validator against libxml2 on libvirt's schema-test corpus and mutants of it:
 * both validators get the same schema files (the corpus's src/conf/schemas) and the same documents;
 * every document and mutant on which their verdicts differ is a disagreement.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainSchema } from '../../main/services/domain-xml/domain-schema';
import { compileDomainSchema, readSchemaFiles } from '../../main/services/domain-xml/host-schemas';
import { readTreeFromJSON } from '../../main/services/domain-xml/salve';
import type { LibvirtCorpus } from './libvirt-corpus';
import { MUTANT_KINDS, mutate, scanElements, Vocabulary, type MutantKind } from './mutants';
import { xmllintValidate, type LibxmlVerdict } from './xmllint';

export type Subject = 'document' | MutantKind;

export interface Disagreement {
  subject: Subject;
  /** The corpus document (for a mutant, the one it was made from). */
  path: string;
  /** For a mutant: what was changed. */
  change: string;
  libxml2: string;
  virtdeck: string;
  /** Where the mutant was written, to reproduce it with xmllint. */
  file: string;
}

export interface Tally {
  total: number;
  /** Accepted by both / rejected by both. */
  bothAccept: number;
  bothReject: number;
  disagree: number;
}

export interface AgreementResult {
  documents: number;
  uniqueDocuments: number;
  expectInvalid: number;
  tallies: Record<Subject, Tally>;
  disagreements: Disagreement[];
  seconds: { compile: number; mutate: number; libxml2: number; virtdeck: number; total: number };
  /** Mutant files are kept here (deleted by `cleanup`). */
  workDir: string;
  cleanup(): void;
}

export interface AgreementOptions {
  seed: string;
  /** Mutants of each kind per distinct document. */
  perKind: number;
}

function describeLibxml(verdict: LibxmlVerdict): string {
  return verdict.accepted ? 'accepts' : `rejects (${verdict.reason}${verdict.message ? `: ${verdict.message}` : ''})`;
}

export async function runAgreement(corpus: LibvirtCorpus, options: AgreementOptions): Promise<AgreementResult> {
  const started = Date.now();
  const seconds = { compile: 0, mutate: 0, libxml2: 0, virtdeck: 0, total: 0 };

  let t = Date.now();
  const schema = new DomainSchema(
    readTreeFromJSON(await compileDomainSchema(await readSchemaFiles(null, corpus.schemaDir))),
    corpus.version,
  );
  seconds.compile = (Date.now() - t) / 1000;

  t = Date.now();
  const texts = corpus.documents.map((document) => readFileSync(document.absolutePath, 'utf8'));
  const vocabulary = new Vocabulary();
  for (const text of texts) {
    const elements = scanElements(text);
    if (elements) vocabulary.add(elements);
  }
  const frozen = vocabulary.freeze();
  const workDir = mkdtempSync(join(tmpdir(), 'virtdeck-conformance-'));
  mkdirSync(join(workDir, 'mutants'));
  interface Case {
    subject: Subject;
    path: string;
    change: string;
    file: string;
    text: string;
  }
  const cases: Case[] = [];
  const seen = new Set<string>();
  corpus.documents.forEach((document, i) => {
    const text = texts[i] ?? '';
    cases.push({ subject: 'document', path: document.path, change: '', file: document.absolutePath, text });
    if (seen.has(text)) return; // a symlink or copy of a document already mutated
    seen.add(text);
    for (const mutant of mutate(text, document.path, frozen, options.seed, options.perKind)) {
      const file = join(workDir, 'mutants', `m${String(cases.length).padStart(6, '0')}.xml`);
      writeFileSync(file, mutant.text);
      cases.push({ subject: mutant.kind, path: document.path, change: mutant.description, file, text: mutant.text });
    }
  });
  seconds.mutate = (Date.now() - t) / 1000;

  // libxml2 runs in its own processes while VirtDeck validates here.
  t = Date.now();
  const libxmlDone = xmllintValidate(join(corpus.schemaDir, 'domain.rng'), cases.map((c) => c.file)).then((verdicts) => {
    seconds.libxml2 = (Date.now() - t) / 1000;
    return verdicts;
  });
  const virtdeck: string[][] = [];
  const tv = Date.now();
  for (const item of cases) {
    virtdeck.push(schema.validate(item.text).map((p) => `${p.line}:${p.column} ${p.message}`));
  }
  seconds.virtdeck = (Date.now() - tv) / 1000;
  const libxml = await libxmlDone;

  const tallies = Object.fromEntries(
    (['document', ...MUTANT_KINDS] as Subject[]).map((subject) => [subject, { total: 0, bothAccept: 0, bothReject: 0, disagree: 0 }]),
  ) as Record<Subject, Tally>;
  const disagreements: Disagreement[] = [];
  cases.forEach((item, i) => {
    const verdict = libxml.get(item.file);
    if (!verdict) throw new Error(`xmllint gave no verdict for ${item.file}`);
    const problems = virtdeck[i] ?? [];
    const accepted = problems.length === 0;
    const tally = tallies[item.subject];
    tally.total++;
    if (accepted !== verdict.accepted) {
      tally.disagree++;
      disagreements.push({
        subject: item.subject,
        path: item.path,
        change: item.change,
        libxml2: describeLibxml(verdict),
        virtdeck: accepted ? 'accepts' : `rejects: ${problems.slice(0, 3).join(' | ')}`,
        file: item.file,
      });
    } else if (accepted) tally.bothAccept++;
    else tally.bothReject++;
  });
  seconds.total = (Date.now() - started) / 1000;
  return {
    documents: corpus.documents.length,
    uniqueDocuments: seen.size,
    expectInvalid: corpus.documents.filter((d) => d.expectInvalid).length,
    tallies,
    disagreements,
    seconds,
    workDir,
    cleanup: () => rmSync(workDir, { recursive: true, force: true }),
  };
}

export function formatResult(result: AgreementResult): string {
  const lines: string[] = [];
  lines.push(
    `libvirt schema-test corpus: ${result.documents} documents (${result.uniqueDocuments} distinct, ` +
      `${result.expectInvalid} named *-invalid.xml)`,
  );
  for (const [subject, tally] of Object.entries(result.tallies)) {
    lines.push(
      `  ${subject.padEnd(18)} ${String(tally.total).padStart(6)}  both accept ${String(tally.bothAccept).padStart(6)}  ` +
        `both reject ${String(tally.bothReject).padStart(6)}  disagree ${String(tally.disagree).padStart(4)}`,
    );
  }
  const s = result.seconds;
  lines.push(
    `  time: compile ${s.compile.toFixed(1)} s, mutate ${s.mutate.toFixed(1)} s, VirtDeck ${s.virtdeck.toFixed(1)} s, ` +
      `libxml2 ${s.libxml2.toFixed(1)} s (in parallel), total ${s.total.toFixed(1)} s`,
  );
  for (const d of result.disagreements) {
    lines.push(`DISAGREE ${d.subject} ${d.path}${d.change ? ` [${d.change}]` : ''}`);
    lines.push(`    libxml2:  ${d.libxml2}`);
    lines.push(`    VirtDeck: ${d.virtdeck}`);
    if (d.subject !== 'document') lines.push(`    mutant:   ${d.file}`);
  }
  return lines.join('\n');
}
