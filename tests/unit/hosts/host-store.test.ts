import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostDraft } from '../../../preload/api-contract';
import { HostStore } from '../../../main/services/hosts/host-store';
import { hostDraftSchema } from '../../../main/services/hosts/host-schema';

const draft = (name: string): HostDraft => ({
  displayName: name,
  ssh: { user: 'root', host: 'kvm1.example.net', port: 22 },
  libvirtUri: 'qemu:///system',
  transport: 'auto',
  tags: ['rack-3'],
});

const tempDir = () => mkdtemp(join(tmpdir(), 'virtdeck-hosts-'));

describe('HostStore', () => {
  it('starts empty, persists adds, updates and removes across instances', async () => {
    const dir = await tempDir();
    const store = new HostStore(dir);
    expect(await store.list()).toEqual([]);
    const added = await store.add(draft('kvm1'));
    expect(added.id).toMatch(/^[0-9a-f-]{36}$/);
    await store.update({ ...added, tags: ['rack-4'] });
    await store.add(draft('kvm2'));

    const reopened = new HostStore(dir);
    expect((await reopened.list()).map((h) => [h.displayName, h.tags])).toEqual([
      ['kvm1', ['rack-4']],
      ['kvm2', ['rack-3']],
    ]);
    await reopened.remove(added.id);
    expect((await new HostStore(dir).list()).map((h) => h.displayName)).toEqual(['kvm2']);
    // Atomic writes leave no temporary files behind.
    expect(await readdir(dir)).toEqual(['hosts.json']);
  });

  it('refuses a duplicate name, ignoring case, and changes nothing', async () => {
    const store = new HostStore(await tempDir());
    await store.add(draft('kvm1'));
    await expect(store.add(draft('KVM1'))).rejects.toMatchObject({ code: 'conflict', field: 'displayName' });
    expect((await store.list()).length).toBe(1);
  });

  it('reports unknown ids as not-found', async () => {
    const store = new HostStore(await tempDir());
    await expect(store.remove('0f8e0a4c-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('says clearly when hosts.json is corrupt, and does not overwrite it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'hosts.json'), '{"version": 1, "hosts": [ {oops');
    const store = new HostStore(dir);
    await expect(store.list()).rejects.toThrow(/is not valid JSON .*fix or remove it/);
    await expect(store.add(draft('kvm1'))).rejects.toThrow(/is not valid JSON/);
    expect(await readFile(join(dir, 'hosts.json'), 'utf8')).toBe('{"version": 1, "hosts": [ {oops');
  });

  it('keeps its state when a write fails', async () => {
    const dir = await tempDir();
    const store = new HostStore(dir);
    await store.add(draft('kvm1'));
    // Replace the config directory by a file: the next write cannot happen.
    await rm(dir, { recursive: true });
    await writeFile(dir, 'a file where the config directory should be');
    await expect(store.add(draft('kvm2'))).rejects.toThrow();
    expect((await store.list()).map((h) => h.displayName)).toEqual(['kvm1']);
  });

  it('validates drafts: bad host names, ports and URIs are refused', () => {
    expect(hostDraftSchema.safeParse(draft('ok')).success).toBe(true);
    const bad = (patch: (d: HostDraft) => void) => {
      const d = structuredClone(draft('x'));
      patch(d);
      return hostDraftSchema.safeParse(d).success;
    };
    expect(bad((d) => (d.ssh.host = 'kvm1; rm -rf /'))).toBe(false);
    expect(bad((d) => (d.ssh.port = 70000))).toBe(false);
    expect(bad((d) => (d.ssh.user = '-oProxyCommand=evil'))).toBe(false);
    expect(bad((d) => (d.libvirtUri = 'not a uri'))).toBe(false);
    expect(bad((d) => (d.displayName = '   '))).toBe(false);
  });
});
