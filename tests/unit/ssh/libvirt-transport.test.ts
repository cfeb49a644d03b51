/**
 * The libvirt transports' pure parts: libvirt's exact ssh-helper command (and its quoting, run through real
 * shells with stand-in virt-ssh-helper / nc binaries), URI handling, socket candidates and the probe parser.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSshHelperCommand,
  explainUnexpectedLibvirtBytes,
  libvirtEscapeShell,
} from '../../../main/libvirt/transport/ssh-helper';
import {
  legacySocketPath,
  parseLibvirtUri,
  systemSocketCandidates,
} from '../../../main/libvirt/transport/libvirt-uri';
import { pickProbedSocket, socketProbeCommand } from '../../../main/libvirt/transport/ssh-socket';
import { localSocketCandidates } from '../../../main/libvirt/transport/local-socket';
import { createLibvirtDialer } from '../../../main/libvirt/transport/dialer';

// Captured from libvirt 9.0's own client (LIBVIRT_DEBUG=1 virsh -c qemu+ssh://…), display quoting removed.
const LIBVIRT_RW =
  `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; ` +
  `else    if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` +
  `'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'`;
const LIBVIRT_RO =
  `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper -r 'qemu:///system'; ` +
  `else    if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` +
  `'nc' $ARG -U /var/run/libvirt/libvirt-sock-ro; fi'`;

describe('buildSshHelperCommand', () => {
  it("is byte-identical to libvirt's command (read-write and read-only)", () => {
    const uri = parseLibvirtUri('qemu:///system');
    expect(
      buildSshHelperCommand({
        driverUri: uri.driverUri,
        readOnly: false,
        socketPath: legacySocketPath(uri, false),
      }),
    ).toBe(LIBVIRT_RW);
    expect(
      buildSshHelperCommand({
        driverUri: uri.driverUri,
        readOnly: true,
        socketPath: legacySocketPath(uri, true),
      }),
    ).toBe(LIBVIRT_RO);
  });

  it('netcat and native variants', () => {
    const base = { driverUri: 'qemu:///system', readOnly: false, socketPath: '/s' };
    expect(buildSshHelperCommand({ ...base, proxy: 'native' })).toBe(
      `sh -c 'virt-ssh-helper 'qemu:///system''`,
    );
    expect(buildSshHelperCommand({ ...base, proxy: 'netcat', netcatPath: '/opt/nc' })).toBe(
      `sh -c 'if '/opt/nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'/opt/nc' $ARG -U /s'`,
    );
  });

  it("escapes like libvirt's virBufferEscapeShell", () => {
    expect(libvirtEscapeShell('qemu:///system')).toBe('qemu:///system');
    expect(libvirtEscapeShell('')).toBe("''");
    expect(libvirtEscapeShell("a b'c")).toBe(`'a b'\\''c'`);
  });

  // The command goes through the user's login shell, then `sh -c`. Stand-ins record what they receive.
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-helper-'));
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  const record = join(dir, 'args');
  writeFileSync(join(bin, 'virt-ssh-helper'), `#!/bin/sh\nprintf '%s\\0' "$@" > '${record}'\n`);
  chmodSync(join(bin, 'virt-ssh-helper'), 0o755);
  const ncDir = join(dir, 'ncbin');
  execFileSync('mkdir', ['-p', ncDir]);
  // A netcat whose -q needs an argument (like netcat-traditional): libvirt then passes -q0.
  writeFileSync(
    join(ncDir, 'nc'),
    `#!/bin/sh\nif [ "$#" = 1 ] && [ "$1" = -q ]; then echo "nc: option requires an argument -- 'q'" >&2; exit 1; fi\nprintf '%s\\0' "$@" > '${record}'\n`,
  );
  chmodSync(join(ncDir, 'nc'), 0o755);
  const shells = ['sh', 'bash', 'dash', 'zsh'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);
  // Only the tools the command needs (a real virt-ssh-helper on this machine must not be found).
  const tools = join(dir, 'tools');
  execFileSync('mkdir', ['-p', tools]);
  for (const tool of ['sh', 'which', 'grep']) {
    const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    execFileSync('ln', ['-sf', real, join(tools, tool)]);
  }

  const runAsLoginShell = (shell: string, command: string, path: string): string[] => {
    writeFileSync(record, '');
    const shellPath = execFileSync('sh', ['-c', `command -v ${shell}`], { encoding: 'utf8' }).trim();
    const r = spawnSync(shellPath, ['-c', command], { env: { PATH: path }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${shell}: exit ${String(r.status)}: ${r.stderr}`);
    return execFileSync('cat', [record]).toString('utf8').split('\0').slice(0, -1);
  };

  const uris = [
    'qemu:///system',
    'qemu:///session',
    "test:///default?x=it's",
    'qemu:///system?a=1&b=$(touch /tmp/pwned)',
    'qemu:///system?q="quoted" `backtick` ;|&<> * ~ !bang \\back',
  ];
  const sysPath = `${bin}:${tools}`;
  const ncPath = `${ncDir}:${tools}`;

  it.each(shells)('every URI reaches virt-ssh-helper intact through %s then sh -c', (shell) => {
    for (const driverUri of uris) {
      for (const readOnly of [false, true]) {
        const cmd = buildSshHelperCommand({
          driverUri,
          readOnly,
          socketPath: '/var/run/libvirt/libvirt-sock',
        });
        expect(runAsLoginShell(shell, cmd, sysPath)).toEqual(readOnly ? ['-r', driverUri] : [driverUri]);
      }
    }
  });

  it.each(shells)('without virt-ssh-helper, nc gets -q0 and the socket path through %s', (shell) => {
    for (const socketPath of ['/var/run/libvirt/libvirt-sock', "/tmp/odd dir/it's-sock"]) {
      const cmd = buildSshHelperCommand({ driverUri: 'qemu:///system', readOnly: false, socketPath });
      expect(runAsLoginShell(shell, cmd, ncPath)).toEqual(['-q0', '-U', socketPath]);
    }
  });
});

describe('parseLibvirtUri', () => {
  it('splits driver, transport, host, path; keeps only daemon-side parameters in driverUri', () => {
    expect(parseLibvirtUri('qemu:///system')).toMatchObject({
      driver: 'qemu',
      transport: null,
      host: null,
      path: '/system',
      driverUri: 'qemu:///system',
      session: false,
    });
    expect(
      parseLibvirtUri(
        'qemu+ssh://root@kvm1:2222/system?keyfile=/k&no_verify=1&socket=/s&mode=direct&extra=1',
      ),
    ).toMatchObject({ driver: 'qemu', transport: 'ssh', host: 'kvm1', driverUri: 'qemu:///system?extra=1' });
    expect(parseLibvirtUri('qemu+ssh://[2001:db8::1]/session')).toMatchObject({
      host: '2001:db8::1',
      session: true,
    });
    expect(parseLibvirtUri('qemu:///system?name=qemu:///embed').driverUri).toBe('qemu:///embed');
    expect(() => parseLibvirtUri('not a uri')).toThrow(/libvirt URI/);
  });

  it("socket candidates in libvirt's order (modular daemon first), read-only and mode variants", () => {
    const sys = parseLibvirtUri('qemu:///system');
    expect(systemSocketCandidates(sys, false)).toEqual([
      '/run/libvirt/virtqemud-sock',
      '/var/run/libvirt/virtqemud-sock',
      '/run/libvirt/libvirt-sock',
      '/var/run/libvirt/libvirt-sock',
    ]);
    expect(systemSocketCandidates(sys, true)[0]).toBe('/run/libvirt/virtqemud-sock-ro');
    expect(systemSocketCandidates(parseLibvirtUri('qemu:///system?mode=legacy'), false)).toEqual([
      '/run/libvirt/libvirt-sock',
      '/var/run/libvirt/libvirt-sock',
    ]);
    expect(systemSocketCandidates(parseLibvirtUri('test:///default'), false)).toEqual([
      '/run/libvirt/libvirt-sock',
      '/var/run/libvirt/libvirt-sock',
    ]);
    expect(legacySocketPath(parseLibvirtUri('qemu:///system?mode=direct'), true)).toBe(
      '/var/run/libvirt/virtqemud-sock-ro',
    );
    expect(
      localSocketCandidates(parseLibvirtUri('qemu:///session'), false, { XDG_RUNTIME_DIR: '/run/user/1000' }),
    ).toEqual(['/run/user/1000/libvirt/virtqemud-sock', '/run/user/1000/libvirt/libvirt-sock']);
  });
});

describe('socket probe', () => {
  const candidates = ['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock'];

  it('is a `sh -c` script that prints what exists and is writable (ignoring rc-file noise)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtdeck-probe-'));
    const cmd = socketProbeCommand([join(dir, 'missing'), '/dev/null', "/it's"]);
    expect(cmd.startsWith("sh -c '")).toBe(true);
    const out = spawnSync('bash', ['-c', `echo Welcome to the host; ${cmd}`], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('Welcome to the host\n'); // /dev/null is not a socket
  });

  it('picks the first writable candidate in order; reports permission and absence clearly', () => {
    expect(
      pickProbedSocket(
        candidates,
        'motd\nVIRTDECK-LIBVIRT-SOCKET rw /run/libvirt/libvirt-sock\nVIRTDECK-LIBVIRT-SOCKET rw /run/libvirt/virtqemud-sock\n',
      ),
    ).toEqual({ path: '/run/libvirt/virtqemud-sock' });
    const denied = pickProbedSocket(candidates, 'VIRTDECK-LIBVIRT-SOCKET ro /run/libvirt/libvirt-sock\n');
    expect('error' in denied && denied.error.code).toBe('permission-denied');
    const none = pickProbedSocket(candidates, '');
    expect('error' in none && none.error.code).toBe('no-socket');
  });
});

describe('explainUnexpectedLibvirtBytes', () => {
  it('accepts a plausible RPC length word and explains shell-rc garbage', () => {
    const ok = Buffer.alloc(28);
    ok.writeUInt32BE(28, 0);
    expect(explainUnexpectedLibvirtBytes(ok)).toBeNull();
    expect(explainUnexpectedLibvirtBytes(Buffer.from('Welcome to kvm1!\n'))).toMatch(/bashrc/);
    expect(explainUnexpectedLibvirtBytes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0]))).toMatch(/length word/);
  });
});

describe('createLibvirtDialer', () => {
  it('refuses combinations that cannot work', () => {
    expect(() => createLibvirtDialer(null, { uri: 'qemu:///system', transport: 'ssh-helper' })).toThrow(
      /needs an SSH/,
    );
    expect(() => createLibvirtDialer(null, { uri: 'nope' })).toThrow(/libvirt URI/);
  });

  it('auto without SSH means the local socket (and reports a missing one clearly)', async () => {
    const dial = createLibvirtDialer(null, { uri: 'qemu:///system?socket=/nonexistent/virtdeck-test-sock' });
    await expect(dial()).rejects.toMatchObject({ code: 'no-socket', transport: 'local-socket' });
    expect(dial.last).toBeNull();
  });
});
