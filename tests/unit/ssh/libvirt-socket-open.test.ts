/**
 * Which libvirt sockets the ssh-socket transport opens over SSH (direct-streamlocal): /var/run is a link
 * to /run on current systems, so opening both paths at once connected to the daemon twice per host (one
 * connection thrown away at once). /run paths are tried together; /var/run only when none of them opened.
 */
import { PassThrough, type Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openSshSocketStream } from '../../../main/libvirt/transport/ssh-socket';
import type { SshConnection } from '../../../main/ssh/connection';
import { SshChannelOpenError, SshNotConnectedError } from '../../../main/ssh/errors';

/** A stand-in SSH connection whose server has the given sockets; it records every channel asked for. */
function fakeSsh(sockets: readonly string[], options: { gone?: boolean } = {}) {
  const asked: string[] = [];
  const destroyed: string[] = [];
  const ssh = {
    openUnixSocket: async (path: string): Promise<Duplex> => {
      asked.push(path);
      if (options.gone) throw new SshNotConnectedError('h', 22, 'closed');
      if (!sockets.includes(path)) throw new SshChannelOpenError('h', 22, 'direct-streamlocal', path, 2, 'No such file or directory');
      const stream = new PassThrough();
      stream.on('close', () => destroyed.push(path));
      return stream;
    },
    run: async () => ({ code: 0, signal: null, stdout: '', stderr: '' }),
  };
  return { ssh: ssh as unknown as SshConnection, asked, destroyed };
}

describe('ssh-socket: which sockets are opened', () => {
  it('a monolithic libvirtd (/run/libvirt/libvirt-sock, /var/run a link): one connection, no /var/run channel', async () => {
    const { ssh, asked, destroyed } = fakeSsh(['/run/libvirt/libvirt-sock', '/var/run/libvirt/libvirt-sock']);
    const opened = await openSshSocketStream(ssh, { uri: 'qemu:///system' });
    expect(opened.socketPath).toBe('/run/libvirt/libvirt-sock');
    expect(asked).toEqual(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock']);
    expect(destroyed).toEqual([]);
  });

  it('modular daemons: virtqemud first, the other stream that opened is closed', async () => {
    const { ssh, asked, destroyed } = fakeSsh(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock']);
    const opened = await openSshSocketStream(ssh, { uri: 'qemu:///system' });
    expect(opened.socketPath).toBe('/run/libvirt/virtqemud-sock');
    expect(asked).toEqual(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(destroyed).toEqual(['/run/libvirt/libvirt-sock']);
  });

  it('an older system with the socket only under /var/run: found one round trip later', async () => {
    const { ssh, asked } = fakeSsh(['/var/run/libvirt/libvirt-sock']);
    const opened = await openSshSocketStream(ssh, { uri: 'qemu:///system' });
    expect(opened.socketPath).toBe('/var/run/libvirt/libvirt-sock');
    expect(asked).toEqual([
      '/run/libvirt/virtqemud-sock',
      '/run/libvirt/libvirt-sock',
      '/var/run/libvirt/virtqemud-sock',
      '/var/run/libvirt/libvirt-sock',
    ]);
  });

  it('the SSH connection gone: no second round, its error as is', async () => {
    const { ssh, asked } = fakeSsh([], { gone: true });
    await expect(openSshSocketStream(ssh, { uri: 'qemu:///system' })).rejects.toBeInstanceOf(SshNotConnectedError);
    expect(asked).toEqual(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock']);
  });

  it('the path that opened is remembered: the next dial on the connection opens it alone', async () => {
    const { ssh, asked } = fakeSsh(['/run/libvirt/libvirt-sock']);
    await openSshSocketStream(ssh, { uri: 'qemu:///system' });
    asked.length = 0;
    await openSshSocketStream(ssh, { uri: 'qemu:///system' });
    expect(asked).toEqual(['/run/libvirt/libvirt-sock']);
  });
});
