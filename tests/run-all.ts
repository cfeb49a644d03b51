/**
 * `npm test`: every check and suite, in order, each reported, then one closing line.
 *   typecheck (node + web) → lint → unit → conformance (domain XML vs libxml2, no lab) → integration (lab)
 *   → e2e (Chromium, serve mode) → Electron smoke
 * All stages run even when one fails, so a single run shows everything that is wrong.
 * With REQUIRE_LAB=1 (CI), a skipped conformance, integration or e2e test fails the run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, labRequired } from './support/lab';

interface StageResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  notes: string[];
}

const OUTPUT = join(PROJECT_ROOT, 'tests', '.output');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const result = spawnSync(command, args, { cwd: PROJECT_ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function timed(name: string, body: (notes: string[]) => Omit<StageResult, 'name' | 'seconds' | 'notes'>): StageResult {
  console.log(`\n━━ ${name} ━━`);
  const started = Date.now();
  const notes: string[] = [];
  const counts = body(notes);
  return { name, ...counts, notes, seconds: (Date.now() - started) / 1000 };
}

function check(name: string, command: string, args: string[]): StageResult {
  return timed(name, () => (run(command, args) === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 }));
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

function vitest(name: string, config: string): StageResult {
  return timed(name, (notes) => {
    const report = join(OUTPUT, `${name}-report.json`);
    rmSync(report, { force: true });
    const status = run('npx', [
      'vitest', 'run', '--config', config,
      '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
    ]);
    if (!existsSync(report)) {
      notes.push(`vitest exited ${status} without a report`);
      return { passed: 0, failed: 1, skipped: 0 };
    }
    const data = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
    // A file that fails to load (syntax error, failing setup) counts as a failure even with no tests.
    const failed = data.numFailedTests + (data.numFailedTests === 0 && status !== 0 ? Math.max(1, data.numFailedTestSuites) : 0);
    return { passed: data.numPassedTests, failed, skipped: data.numPendingTests + data.numTodoTests };
  });
}

interface PlaywrightSpec {
  title: string;
  tests: Array<{ annotations: Array<{ type: string; description?: string }>; status: string }>;
}
interface PlaywrightSuite {
  specs: PlaywrightSpec[];
  suites?: PlaywrightSuite[];
}
interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  suites: PlaywrightSuite[];
  errors: Array<{ message?: string }>;
}

function skipReasons(suites: PlaywrightSuite[], into: Set<string>): void {
  for (const suite of suites) {
    for (const spec of suite.specs) {
      for (const test of spec.tests) {
        if (test.status !== 'skipped') continue;
        for (const note of test.annotations) if (note.type === 'skip' && note.description) into.add(note.description);
      }
    }
    skipReasons(suite.suites ?? [], into);
  }
}

function playwright(name: string, config: string): StageResult {
  return timed(name, (notes) => {
    const report = join(OUTPUT, `${name}-report.json`);
    rmSync(report, { force: true });
    const status = run('npx', ['playwright', 'test', '--config', config]);
    if (!existsSync(report)) {
      notes.push(`playwright exited ${status} without a report`);
      return { passed: 0, failed: 1, skipped: 0 };
    }
    const data = JSON.parse(readFileSync(report, 'utf8')) as PlaywrightReport;
    const reasons = new Set<string>();
    skipReasons(data.suites, reasons);
    for (const reason of reasons) notes.push(`skipped: ${reason}`);
    for (const error of data.errors) notes.push(`error: ${error.message?.split('\n')[0] ?? 'unknown'}`);
    const failed = data.stats.unexpected + (status !== 0 && data.stats.unexpected === 0 ? 1 : 0);
    return { passed: data.stats.expected + data.stats.flaky, failed, skipped: data.stats.skipped };
  });
}

mkdirSync(OUTPUT, { recursive: true });
const started = Date.now();
const stages: StageResult[] = [
  check('typecheck-node', 'npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']),
  check('typecheck-web', 'npx', ['tsc', '-p', 'tsconfig.web.json', '--noEmit']),
  check('lint', 'npx', ['eslint', '--max-warnings', '0', '.']),
  vitest('unit', 'tests/vitest.unit.config.ts'),
  vitest('conformance', 'tests/vitest.conformance.config.ts'),
  vitest('integration', 'tests/vitest.integration.config.ts'),
  playwright('e2e', 'tests/playwright.config.ts'),
  playwright('electron', 'tests/playwright.electron.config.ts'),
];

const problems: string[] = [];
if (labRequired()) {
  for (const stage of stages) {
    if (['conformance', 'integration', 'e2e'].includes(stage.name) && stage.skipped > 0) {
      problems.push(`REQUIRE_LAB=1 but ${stage.skipped} ${stage.name} test(s) were skipped`);
    }
  }
}

console.log('\n━━ summary ━━');
for (const stage of stages) {
  const verdict = stage.failed > 0 ? 'FAIL' : stage.passed === 0 && stage.skipped > 0 ? 'SKIP' : 'ok  ';
  console.log(
    `${verdict} ${stage.name.padEnd(15)} ${String(stage.passed).padStart(4)} passed ${String(stage.failed).padStart(3)} failed ${String(stage.skipped).padStart(3)} skipped  ${stage.seconds.toFixed(1).padStart(6)} s`,
  );
  for (const note of stage.notes) console.log(`     ${note}`);
}
for (const problem of problems) console.log(`FAIL ${problem}`);
const total = (key: 'passed' | 'failed' | 'skipped') => stages.reduce((sum, stage) => sum + stage[key], 0);
const failed = total('failed') + problems.length;
console.log(`total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${total('passed')} passed, ${failed} failed, ${total('skipped')} skipped`);
process.exit(failed > 0 ? 1 : 0);
