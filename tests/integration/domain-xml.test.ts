/**
 * The XML editor's host side against the lab's real libvirtd over real SSH: the host's RELAX NG schemas
 * read over SFTP and compiled, a define that keeps foreign <metadata> and qemu:commandline, libvirt's
 * VALIDATE refusal placed on the offending line with the host unchanged, and the conflict check.
 * vd-off-2 (shut off) is edited and its original definition restored in afterAll.
 */
import type { Client, SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LibvirtClient, LibvirtError } from '../../main/libvirt/client';
import { compileDomainSchema, readSchemaFiles } from '../../main/services/domain-xml/host-schemas';
import { DomainSchema } from '../../main/services/domain-xml/domain-schema';
import { defineDomainXml, readPersistent } from '../../main/services/domain-xml/domain-xml-store';
import { readTreeFromJSON } from '../../main/services/domain-xml/salve';
import { locateLibvirtError } from '../../renderer/src/domain-xml/xml-text';
import { connectLabLibvirt } from '../support/lab-libvirt';

const availability = inject('lab');
const GUEST = 'vd-off-2';

describe.skipIf(!availability.available)('domain XML editor against the lab', () => {
  let ssh: Client;
  let client: LibvirtClient;
  let uuid = '';
  let original = '';

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    ({ ssh, client } = await connectLabLibvirt(lab));
    uuid = (await client.domain.lookup({ name: GUEST })).uuid;
    original = await readPersistent(client, uuid);
  }, 60_000);

  afterAll(async () => {
    try {
      if (original) await client.domain.define(original, 0);
      if (original) expect(await readPersistent(client, uuid)).toBe(original);
      await client?.close();
    } finally {
      ssh?.end();
    }
  });

  it('reads the host\'s schemas over SFTP; the guest\'s own definition validates', async () => {
    const sftp = { sftp: () => new Promise<SFTPWrapper>((resolve, reject) => ssh.sftp((error, s) => (error ? reject(error) : resolve(s)))) };
    const files = await readSchemaFiles(sftp);
    expect(files.has('domain.rng') && files.has('domaincommon.rng') && files.has('basictypes.rng')).toBe(true);
    const schema = new DomainSchema(readTreeFromJSON(await compileDomainSchema(files)), 'lab');
    expect(schema.validate(original)).toEqual([]);
  }, 60_000);

  it('keeps foreign metadata and qemu:commandline through define and read-back', async () => {
    const edited = original
      .replace(/^<domain type='(\w+)'>/, "<domain type='$1' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>")
      .replace(
        '</description>',
        "</description>\n  <metadata>\n    <ops:owner xmlns:ops='https://example.net/ops' team='build'>e2e</ops:owner>\n  </metadata>",
      )
      .replace('</domain>', "  <qemu:commandline>\n    <qemu:arg value='-no-user-config'/>\n  </qemu:commandline>\n</domain>");
    expect(edited).toContain('ops:owner');
    expect(edited).toContain('qemu:commandline');
    const stored = await defineDomainXml(client, { uuid, xml: edited, basedOn: original });
    expect(stored).toMatch(/<ops:owner xmlns:ops=["']https:\/\/example\.net\/ops["'] team=["']build["']>e2e<\/ops:owner>/);
    expect(stored).toMatch(/<qemu:arg value=["']-no-user-config["']\/>/);
    expect(await readPersistent(client, uuid)).toBe(stored);
    // Back to the original, through the same path.
    await defineDomainXml(client, { uuid, xml: original, basedOn: stored });
    expect(await readPersistent(client, uuid)).toBe(original);
  }, 60_000);

  it('libvirt refuses an invalid element (VALIDATE); the error lands on its line; the host is unchanged', async () => {
    const edited = original.replace(/(\n\s*<memory )/, '\n  <bogus/>$1');
    const failure = await defineDomainXml(client, { uuid, xml: edited, basedOn: original }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LibvirtError);
    const message = (failure as LibvirtError).message;
    expect(message).toMatch(/bogus/);
    const problem = locateLibvirtError(message, edited, original);
    expect(problem, message).toMatchObject({ located: true, line: edited.slice(0, edited.indexOf('<bogus/>')).split('\n').length });
    expect(await readPersistent(client, uuid)).toBe(original);
  }, 60_000);

  it('refuses to define over a definition that changed since the edit began', async () => {
    const stale = original.replace('</title>', ' (stale)</title>');
    await expect(defineDomainXml(client, { uuid, xml: original, basedOn: stale })).rejects.toMatchObject({ code: 'conflict' });
    expect(await readPersistent(client, uuid)).toBe(original);
  }, 60_000);
});
