/**
 * The configuration rules against the real thing: the lab's libvirtd 9.0 and its host.
 *
 *   1. Every rule marked "the daemon refuses" (conf-rules.ts): its proof value is an error for VirtDeck
 *      (with the lab's facts, read over SSH as the editor does), AND a throw-away libvirtd on a scratch
 *      copy of the lab's files refuses it (does not start, or its guest does not start, or saving the
 *      guest fails) with the expected message. The test fails if the daemon accepts it.
 *   2. A handful of refused values: the save is blocked, the host's file and the lab's daemon untouched.
 *   3. The lab's own stock qemu.conf and libvirtd.conf, and each of their commented-out examples
 *      uncommented: no error where the real daemon takes them (all of those together: the throw-away
 *      daemon starts and runs a guest), and where VirtDeck says error, the real daemon refuses it.
 *
 * The lab's libvirtd is never restarted or reconfigured here (tests/support/throwaway-libvirtd.ts runs a
 * separate daemon in private namespaces). Run under the lab lock (flock /tmp/virtdeck-lab-tests.lock).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostConfigDiagnostic, HostEntry } from '../../preload/api-contract';
import { connectSsh } from '../../main/ssh';
import { parseConf } from '../../main/services/host-config/conf-parser';
import { CONF_RULES, type ConfRule, type RuleProof } from '../../main/services/host-config/conf-rules';
import { validateConf } from '../../main/services/host-config/conf-validate';
import { FALLBACK_SCHEMAS } from '../../main/services/host-config/fallback-schema.gen';
import { HostConfigService } from '../../main/services/host-config/host-config-service';
import { libvirtVersionOver } from '../../main/services/host-config/host-config-wiring';
import type { LabInfo } from '../support/lab';
import {
  relevantErrors,
  runThrowawayLibvirtd,
  throwawayUnavailable,
  type ThrowawayResult,
} from '../support/throwaway-libvirtd';

const availability = inject('lab');
const lab: LabInfo | null = availability.available ? availability.lab : null;
const unavailable = throwawayUnavailable();
const QEMU = '/etc/libvirt/qemu.conf';
const DAEMON = '/etc/libvirt/libvirtd.conf';
const HOST = 'rules-root';
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * The daemon clients reach at qemu:///system (the one listening on /run/libvirt/libvirt-sock): its pid
 * and start time, so a restart shows.
 */
function labDaemonPid(): string {
  const ss = execFileSync('ss', ['-xlpn'], { encoding: 'utf8' });
  const line = ss.split('\n').find((l) => /\s\/run\/libvirt\/libvirt-sock\s/.test(l));
  const pid = /pid=(\d+)/.exec(line ?? '')?.[1];
  if (!pid) throw new Error('no daemon listens on /run/libvirt/libvirt-sock');
  const start = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  return `${pid}@${start}`;
}

/** `text` with every assignment of the keys in `lines` removed and `lines` appended (the daemon reads the first). */
function withLines(text: string, lines: string[]): string {
  const keys = new Set(lines.map((l) => /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(l)?.[1]));
  const kept = parseConf(text)
    .nodes.filter((n) => !(n.kind === 'entry' && keys.has(n.key)))
    .map((n) => n.text)
    .join('');
  return `${kept}${kept.endsWith('\n') ? '' : '\n'}${lines.join('\n')}\n`;
}

/** Every commented-out example of a stock file: its lines (a list may span several), uncommented in place. */
function commentedExamples(text: string): Array<{ key: string; label: string; text: string }> {
  const lines = text.split('\n');
  const out: Array<{ key: string; label: string; text: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^#([a-z_][a-z0-9_]*)\s*=\s*(.*)$/.exec(lines[i] as string);
    if (!m) continue;
    let end = i;
    if ((m[2] as string).startsWith('[') && !(m[2] as string).includes(']')) {
      while (end + 1 < lines.length && (lines[end + 1] as string).startsWith('#')) {
        end++;
        if ((lines[end] as string).includes(']')) break;
      }
    }
    const copy = [...lines];
    for (let j = i; j <= end; j++) copy[j] = (copy[j] as string).slice(1);
    out.push({
      key: m[1] as string,
      label: lines
        .slice(i, end + 1)
        .join(' ')
        .slice(1)
        .replace(/\s+#\s*/g, ' '),
      text: copy.join('\n'),
    });
    i = end;
  }
  return out;
}

/** Uncomments several examples of one file at once. */
function uncommentAll(text: string, examples: ReadonlyArray<{ text: string }>): string {
  const lines = text.split('\n');
  for (const example of examples) {
    const changed = example.text.split('\n');
    for (let i = 0; i < lines.length; i++) if (changed[i] !== lines[i]) lines[i] = changed[i] as string;
  }
  return lines.join('\n');
}

const VIA_ORDER = ['start', 'guest', 'save'] as const;
const viaOf = (rule: ConfRule): RuleProof['via'] =>
  rule.daemon === 'refuses-start' ? 'start' : rule.daemon === 'refuses-guest-start' ? 'guest' : 'save';

/** Whether the throw-away daemon refused at `via`, and the words it used. */
function refusedAt(result: ThrowawayResult, via: RuleProof['via']): { refused: boolean; words: string } {
  const log = relevantErrors(result).join('\n');
  if (via === 'start') return { refused: result.daemon === 'exited', words: log };
  if (result.daemon !== 'answered') return { refused: false, words: `the daemon did not start: ${log}` };
  if (via === 'guest') return { refused: result.guest?.started === false, words: result.guest?.output ?? '' };
  return { refused: result.save?.ok === false, words: result.save?.output ?? '' };
}

describe.skipIf(!lab || unavailable !== null)('configuration rules against the lab’s libvirtd 9.0', () => {
  const l = lab as LabInfo;
  let service: HostConfigService;
  let labQemu = '';
  let labDaemon = '';
  let pidBefore = '';
  let filesBefore: Record<string, { sha: string; mtimeMs: number }> = {};
  const files = () =>
    Object.fromEntries(
      [QEMU, DAEMON].map((p) => [p, { sha: sha(readFileSync(p)), mtimeMs: statSync(p).mtimeMs }]),
    );

  const analyze = async (path: string, text: string): Promise<HostConfigDiagnostic[]> =>
    (await service.analyze(HOST, path, text)).diagnostics;
  const errorsOf = (d: HostConfigDiagnostic[]) => d.filter((x) => x.severity === 'error');

  beforeAll(async () => {
    const acc = l.accounts.root;
    const host: HostEntry = {
      id: HOST,
      displayName: 'rules',
      ssh: { user: acc.user, host: l.ssh.host, port: l.ssh.port, identityFile: acc.identityFile },
      libvirtUri: 'qemu:///system',
      transport: 'auto',
      tags: [],
    };
    service = new HostConfigService({
      host: async () => host,
      openSsh: (h) =>
        connectSsh(
          { host: h.ssh.host, user: h.ssh.user, port: h.ssh.port, identityFile: acc.identityFile },
          { knownHostsFiles: [l.ssh.knownHostsFile], sshConfigFile: null },
        ),
      askSudoPassword: () => async () => null,
      forgetSudoPassword: () => undefined,
      libvirtVersion: libvirtVersionOver,
    });
    const snapshot = await service.read(HOST);
    labQemu = snapshot.files.find((f) => f.path === QEMU)?.text ?? '';
    labDaemon = snapshot.files.find((f) => f.path === DAEMON)?.text ?? '';
    expect(labQemu).toContain('user = "root"');
    pidBefore = labDaemonPid();
    filesBefore = files();
  });

  afterAll(async () => {
    // Nothing here touched the lab: same files, same daemon.
    if (service) await service.dispose();
    if (!pidBefore) return;
    expect(files()).toEqual(filesBefore);
    expect(labDaemonPid()).toBe(pidBefore);
  });

  it('the lab’s files as they are: no errors, and the throw-away daemon runs a guest and saves it on them', async () => {
    expect(errorsOf(await analyze(QEMU, labQemu))).toEqual([]);
    expect(errorsOf(await analyze(DAEMON, labDaemon))).toEqual([]);
    const result = await runThrowawayLibvirtd({ qemuConf: labQemu, daemonConf: labDaemon, save: true });
    expect(result.daemon, result.log).toBe('answered');
    expect(result.guest, result.log).toMatchObject({ started: true });
    expect(result.save, result.log).toMatchObject({ ok: true });
    const facts = service.hostFacts(HOST);
    expect(facts?.libvirtVersion).toMatch(/^9\.0\./);
    expect(facts?.commandLine).toMatch(/libvirtd/);
  }, 120_000);

  const proofs = CONF_RULES.flatMap((rule) =>
    [rule.proof, ...(rule.moreProofs ?? [])]
      .filter((p): p is RuleProof => p !== undefined)
      .map(
        (proof) =>
          [
            `${rule.id}: ${proof.lines.join('; ')}${proof.args ? ` (libvirtd ${proof.args.join(' ')})` : ''}`,
            rule,
            proof,
          ] as const,
      ),
  );

  it('every rule the daemon refuses has a proof here', () => {
    const refusing = CONF_RULES.filter((r) => r.daemon.startsWith('refuses'));
    expect(refusing.filter((r) => !r.proof).map((r) => r.id)).toEqual([]);
    expect(proofs.length).toBeGreaterThanOrEqual(refusing.length);
  });

  it.each(proofs)(
    'the real daemon refuses it — %s',
    async (_label, rule, proof) => {
      const qemu = rule.file === 'qemu';
      const path = qemu ? QEMU : DAEMON;
      const text = withLines(qemu ? labQemu : labDaemon, proof.lines);
      // VirtDeck: an error from this rule, with the lab's facts (as if the daemon ran with proof.args).
      let diagnostics = await analyze(path, text);
      if (proof.args?.includes('--listen')) {
        const facts = service.hostFacts(HOST);
        expect(facts).not.toBeNull();
        diagnostics = validateConf(
          parseConf(text),
          FALLBACK_SCHEMAS.find((s) => s.module === (qemu ? 'Libvirtd_qemu' : 'Libvirtd'))!,
          {
            file: rule.file,
            daemon: 'libvirtd',
            path,
            facts: { ...facts!, commandLine: `${facts!.commandLine} --listen` },
          },
        );
      }
      expect(
        diagnostics.filter((d) => d.rule === rule.id && d.severity === 'error'),
        JSON.stringify(diagnostics, null, 1),
      ).not.toEqual([]);
      expect(proof.via).toBe(viaOf(rule));
      // libvirtd 9.0: refuses it, in its own words.
      const result = await runThrowawayLibvirtd({
        qemuConf: qemu ? text : labQemu,
        daemonConf: qemu ? labDaemon : text,
        ...(proof.args ? { args: proof.args } : {}),
        guest: proof.via === 'guest',
        save: proof.via === 'save',
      });
      const { refused, words } = refusedAt(result, proof.via);
      expect(
        refused,
        `libvirtd accepted ${proof.lines.join('; ')} (expected a refusal at ${proof.via}):\n${result.log}`,
      ).toBe(true);
      expect(words).toMatch(proof.expect);
    },
    120_000,
  );

  it('refused values are never saved: the host’s file and the lab’s daemon stay as they were', async () => {
    const snapshot = await service.read(HOST);
    const cases: Array<[string, string[]]> = [
      [QEMU, ['user = "no-such-user-virtdeck"']],
      [QEMU, ['vnc_tls = 2']],
      [QEMU, ['migration_port_min = 50000']],
      [QEMU, ['capability_filters = [ "capname" ]']],
      [QEMU, ['hugetlbfs_mount = "/tmp"']],
      [DAEMON, ['host_uuid = "00000000-0000-0000-0000-000000000000"']],
      [DAEMON, ['max_clients = 10']],
    ];
    for (const [path, lines] of cases) {
      const file = snapshot.files.find((f) => f.path === path);
      const before = readFileSync(path);
      await expect(
        service.save(HOST, path, withLines(file?.text ?? '', lines), file?.sha256 ?? ''),
      ).rejects.toMatchObject({
        code: 'invalid-request',
        message: expect.stringMatching(/^Not saved: 1 error/),
      });
      expect(readFileSync(path).equals(before), `${path} changed for ${lines.join('; ')}`).toBe(true);
    }
    expect(files()).toEqual(filesBefore);
    expect(labDaemonPid()).toBe(pidBefore);
  }, 120_000);

  describe.each([
    ['qemu.conf', QEMU],
    ['libvirtd.conf', DAEMON],
  ] as const)('the stock %s of the lab', (name, path) => {
    const stock = () => {
      // The lab keeps the package's file as <file>.virtdeck-lab.orig; it is the fixture too.
      const text = readFileSync(`${path}.virtdeck-lab.orig`, 'utf8');
      expect(text).toBe(readFileSync(new URL(`../fixtures/host-config/${name}`, import.meta.url), 'utf8'));
      return text;
    };

    it('as shipped: no diagnostics at all', async () => {
      expect(await analyze(path, stock())).toEqual([]);
    });

    it('each commented-out example: no error where the daemon takes it; where VirtDeck says error, the daemon refuses it', async () => {
      const text = stock();
      const examples = commentedExamples(text);
      expect(examples.length).toBeGreaterThan(name === 'qemu.conf' ? 60 : 45);
      const accepted: typeof examples = [];
      const report: string[] = [];
      for (const example of examples) {
        const errors = errorsOf(await analyze(path, example.text));
        if (errors.length === 0) {
          accepted.push(example);
          continue;
        }
        // Where VirtDeck says error, the real daemon must refuse, at the stage the rule names.
        const rules = errors.map((e) => CONF_RULES.find((r) => r.id === e.rule));
        expect(rules.every(Boolean), JSON.stringify(errors)).toBe(true);
        const via = VIA_ORDER.find((v) => rules.some((r) => viaOf(r as ConfRule) === v)) as RuleProof['via'];
        const qemu = path === QEMU;
        const result = await runThrowawayLibvirtd({
          qemuConf: qemu ? example.text : labQemu,
          daemonConf: qemu ? labDaemon : example.text,
          guest: via === 'guest',
          save: via === 'save',
        });
        const { refused, words } = refusedAt(result, via);
        report.push(
          `${refused ? 'refused' : 'ACCEPTED'} at ${via}: ${example.label} — ${errors[0]?.message}`,
        );
        expect(
          refused,
          `VirtDeck says error for "${example.label}" but libvirtd accepts it:\n${errors.map((e) => e.message).join('\n')}\n${result.log}`,
        ).toBe(true);
        expect(words.length, example.label).toBeGreaterThan(0);
      }
      console.log(`${name}: ${accepted.length} examples accepted, refused:\n  ${report.join('\n  ')}`);
      // All the examples VirtDeck takes, together: still no error, and the real daemon starts on them and
      // (qemu.conf) runs a guest.
      const together = uncommentAll(text, accepted);
      expect(errorsOf(await analyze(path, together))).toEqual([]);
      const qemu = path === QEMU;
      const result = await runThrowawayLibvirtd({
        qemuConf: qemu ? together : labQemu,
        daemonConf: qemu ? labDaemon : together,
        guest: qemu,
      });
      expect(
        result.daemon,
        `libvirtd refused the ${accepted.length} examples VirtDeck accepts:\n${result.log}`,
      ).toBe('answered');
      if (qemu) expect(result.guest, result.log).toMatchObject({ started: true });
    }, 600_000);
  });
});
