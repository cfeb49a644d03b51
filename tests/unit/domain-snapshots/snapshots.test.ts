import { describe, expect, it } from 'vitest';
import {
  buildSnapshotXml,
  overlayPath,
  parseSnapshotXml,
  readDomainFacts,
  snapshotDisks,
  withDescription,
} from '../../../main/services/domain-snapshots/snapshot-xml';
import {
  LIBVIRT,
  SNAPSHOT_NAME,
  createAbilities,
  reasonText,
  snapshotEntries,
  snapshotTree,
  stateAfterRevert,
  type GuestContext,
  type TreeSnapshot,
} from '../../../main/services/domain-snapshots/snapshot-rules';

const LIVE = `<domain type='qemu' id='7'>
  <name>web1</name>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/img/web1.snap1.qcow2' index='2'/>
      <backingStore type='file' index='1'>
        <format type='qcow2'/>
        <source file='/img/web1.qcow2'/>
        <backingStore/>
      </backingStore>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/>
    </channel>
  </devices>
</domain>
`;

const snapshotXml = (o: { name: string; parent?: string; state: string; memory: string; disk: string; file?: string; source?: string; description?: string }) => `<domainsnapshot>
  <name>${o.name}</name>
${o.description ? `  <description>${o.description}</description>\n` : ''}  <state>${o.state}</state>
${o.parent ? `  <parent>\n    <name>${o.parent}</name>\n  </parent>\n` : ''}  <creationTime>1764936000</creationTime>
  <memory snapshot='${o.memory}'/>
  <disks>
    <disk name='vda' snapshot='${o.disk}'${o.file ? `>\n      <driver type='qcow2'/>\n      <source file='${o.file}'/>\n    </disk>` : '/>'}
    <disk name='hdc' snapshot='no'/>
  </disks>
  <domain type='qemu'>
    <name>web1</name>
    <description>the own description of the guest</description>
    <devices>
      <disk type='file' device='disk'>
        <source file='${o.source ?? '/img/web1.qcow2'}'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
  </domain>
</domainsnapshot>
`;

function ctx(over: Partial<GuestContext> = {}): GuestContext {
  return {
    version: 9_000_000,
    state: 'running',
    persistent: true,
    facts: readDomainFacts(LIVE),
    hasManagedSave: false,
    agent: { answers: false, reason: 'the guest agent is not connected' },
    ...over,
  };
}

function tree(...xmls: string[]): TreeSnapshot[] {
  const parsed = xmls.map(parseSnapshotXml);
  return parsed.map((p, i) => ({ parsed: p, children: parsed.filter((c) => c.parent === p.name).map((c) => c.name), current: i === parsed.length - 1 }));
}

describe('snapshot XML', () => {
  it('reads a domain: disks with their chain, firmware, agent channel', () => {
    const facts = readDomainFacts(LIVE);
    expect(facts.name).toBe('web1');
    expect(facts.disks[0]).toMatchObject({ target: 'vda', format: 'qcow2', source: '/img/web1.snap1.qcow2', chain: ['/img/web1.snap1.qcow2', '/img/web1.qcow2'] });
    expect(snapshotDisks(facts).map((d) => d.target)).toEqual(['vda']);
    expect(facts).toMatchObject({ pflash: false, agentChannel: 'disconnected' });
    expect(readDomainFacts(LIVE.replace("<type arch='x86_64' machine='pc'>hvm</type>", "<type>hvm</type>\n    <loader readonly='yes' type='pflash'>/x.fd</loader>\n    <nvram>/v.fd</nvram>")).pflash).toBe(true);
  });

  it('reads a snapshot: parent, time, state, memory, disks, external, its saved domain', () => {
    const internal = parseSnapshotXml(snapshotXml({ name: 'a', state: 'running', memory: 'internal', disk: 'internal', description: 'before &amp; after' }));
    expect(internal).toMatchObject({ name: 'a', parent: null, createdAt: 1764936000, state: 'running', memory: 'internal', external: false, hasDomain: true, description: 'before & after' });
    expect(internal.domainDisks.get('vda')).toBe('/img/web1.qcow2');
    const external = parseSnapshotXml(snapshotXml({ name: 'b', parent: 'a', state: 'disk-snapshot', memory: 'no', disk: 'external', file: '/img/web1.b.qcow2' }));
    expect(external).toMatchObject({ parent: 'a', external: true, memory: 'no' });
    expect(external.disks).toEqual([
      { target: 'vda', snapshot: 'external', file: '/img/web1.b.qcow2' },
      { target: 'hdc', snapshot: 'no', file: null },
    ]);
  });

  it('builds the create XML: internal with memory, external with overlay files and a memory file', () => {
    expect(buildSnapshotXml({ name: 's1', description: 'a <b>', kind: 'internal', memory: 'internal', memoryFile: null, disks: [{ target: 'vda', snapshot: 'internal', file: null }] })).toBe(
      "<domainsnapshot>\n  <name>s1</name>\n  <description>a &lt;b&gt;</description>\n  <memory snapshot='internal'/>\n  <disks>\n    <disk name='vda' snapshot='internal'/>\n  </disks>\n</domainsnapshot>\n",
    );
    const external = buildSnapshotXml({
      name: 's2',
      description: '',
      kind: 'external',
      memory: 'external',
      memoryFile: '/img/web1.s2.mem',
      disks: [
        { target: 'vda', snapshot: 'external', file: overlayPath('/img/web1.qcow2', 's2') },
        { target: 'hdc', snapshot: 'no', file: null },
      ],
    });
    expect(external).toContain("<memory snapshot='external' file='/img/web1.s2.mem'/>");
    expect(external).toContain("<disk name='vda' snapshot='external'>\n      <driver type='qcow2'/>\n      <source file='/img/web1.s2.qcow2'/>\n    </disk>");
    expect(external).toContain("<disk name='hdc' snapshot='no'/>");
    expect(parseSnapshotXml(external)).toMatchObject({ name: 's2', external: true, memory: 'external', memoryFile: '/img/web1.s2.mem' });
    expect(overlayPath('/img/noext', 'x')).toBe('/img/noext.x.qcow2');
  });

  it('changes only the snapshot description (not the saved domain one), adds and removes it', () => {
    const xml = snapshotXml({ name: 'a', state: 'running', memory: 'internal', disk: 'internal', description: 'old' });
    const changed = withDescription(xml, 'new');
    expect(changed).toBe(xml.replace('<description>old</description>', '<description>new</description>'));
    const removed = withDescription(xml, '');
    expect(removed).not.toContain('<description>old');
    expect(removed).toContain("<description>the own description of the guest</description>");
    const added = withDescription(removed, 'x & y');
    expect(added).toContain('  <name>a</name>\n  <description>x &amp; y</description>\n');
  });

  it('snapshot names: libvirt refuses "/" and a leading "."', () => {
    expect(SNAPSHOT_NAME.test('before-upgrade_1.2')).toBe(true);
    expect(SNAPSHOT_NAME.test('a/b')).toBe(false);
    expect(SNAPSHOT_NAME.test('.hidden')).toBe(false);
    expect(SNAPSHOT_NAME.test('')).toBe(false);
  });
});

describe('the tree, built from the snapshots\' own XML (libvirt 9.0 fails a TOPOLOGICAL listing during a create)', () => {
  const at = (xml: string, time: number) => xml.replace('<creationTime>1764936000</creationTime>', `<creationTime>${time}</creationTime>`);
  const snap = (name: string, time: number, parent?: string) => parseSnapshotXml(at(snapshotXml({ name, parent, state: 'running', memory: 'internal', disk: 'internal' }), time));

  it('parents before children whatever order libvirt lists them in; roots and siblings oldest first; children and the current mark', () => {
    // As the plain listing may come: hash order, children first.
    const listed = [snap('c2', 40, 'b'), snap('b', 20, 'a'), snap('z-root', 5), snap('c1', 30, 'b'), snap('a', 10), snap('d', 50, 'a')];
    const tree = snapshotTree(listed, 'c1');
    expect(tree.map((t) => t.parsed.name)).toEqual(['z-root', 'a', 'b', 'c1', 'c2', 'd']);
    expect(Object.fromEntries(tree.map((t) => [t.parsed.name, t.children]))).toEqual({ 'z-root': [], a: ['b', 'd'], b: ['c1', 'c2'], c1: [], c2: [], d: [] });
    expect(tree.filter((t) => t.current).map((t) => t.parsed.name)).toEqual(['c1']);
    const seen = new Set<string>();
    for (const t of tree) {
      if (t.parsed.parent) expect(seen.has(t.parsed.parent)).toBe(true);
      seen.add(t.parsed.name);
    }
    // Same times: by name.
    expect(snapshotTree([snap('y', 1), snap('x', 1)], null).map((t) => t.parsed.name)).toEqual(['x', 'y']);
  });

  it('a snapshot whose parent is not listed is a root; no current; a parent cycle still lists each once', () => {
    const tree = snapshotTree([snap('child', 2, 'gone'), snap('other', 1)], null);
    expect(tree.map((t) => [t.parsed.name, t.children])).toEqual([
      ['other', []],
      ['child', []],
    ]);
    expect(tree.some((t) => t.current)).toBe(false);
    const cycle = snapshotTree([snap('p', 1, 'q'), snap('q', 2, 'p'), snap('self', 3, 'self')], 'q');
    expect(cycle.map((t) => t.parsed.name).sort()).toEqual(['p', 'q', 'self']);
    expect(cycle.find((t) => t.parsed.name === 'self')?.children).toEqual([]);
  });

  it('feeds snapshotEntries: depth-first entries keep the parent and children libvirt stored', () => {
    const entries = snapshotEntries(snapshotTree([snap('b', 2, 'a'), snap('a', 1)], 'b'), ctx());
    expect(entries.map((e) => [e.name, e.parent, e.children, e.current])).toEqual([
      ['a', null, ['b'], false],
      ['b', 'a', [], true],
    ]);
  });
});

describe('what the host will do, per libvirt version', () => {
  const internalSnap = snapshotXml({ name: 'a', state: 'running', memory: 'internal', disk: 'internal' });
  const externalSnap = snapshotXml({ name: 'b', parent: 'a', state: 'disk-snapshot', memory: 'no', disk: 'external', file: '/img/web1.snap1.qcow2' });

  it('revert to an external snapshot: refused before 9.7.0 with the version that adds it, offered from 9.7.0', () => {
    const on90 = snapshotEntries(tree(externalSnap), ctx({ version: 9_000_000 }))[0];
    expect(on90?.revert).toEqual({ allowed: false, reason: { key: 'externalRevert', values: { version: '9.0.0', needs: '9.7.0' } } });
    expect(reasonText((on90?.revert as { reason: { key: string } }).reason)).toBe('libvirt 9.0.0 cannot revert to external snapshots (libvirt 9.7.0 can)');
    expect(snapshotEntries(tree(externalSnap), ctx({ version: 9_006_000 }))[0]?.revert.allowed).toBe(false);
    expect(snapshotEntries(tree(externalSnap), ctx({ version: LIBVIRT.externalRevert }))[0]?.revert).toEqual({ allowed: true });
  });

  it('delete an external snapshot: from 9.0.0, alone, not with children, not under an internal parent', () => {
    const [, b] = snapshotEntries(tree(snapshotXml({ name: 'a', state: 'shutoff', memory: 'no', disk: 'no' }), externalSnap), ctx());
    expect(b?.deleteOne).toEqual({ allowed: true });
    expect(b?.deleteMetadataOnly).toEqual({ allowed: true });
    expect(b?.deleteWithChildren).toMatchObject({ allowed: false, reason: { key: 'noChildren' } });
    const old = snapshotEntries(tree(externalSnap), ctx({ version: 8_010_000 }))[0];
    expect(old?.deleteOne).toEqual({ allowed: false, reason: { key: 'externalDelete', values: { version: '8.10.0', needs: '9.0.0' } } });
    expect(old?.deleteMetadataOnly).toEqual({ allowed: true });
    const [a, under] = snapshotEntries(tree(internalSnap, externalSnap), ctx());
    expect(under?.deleteOne).toMatchObject({ allowed: false, reason: { key: 'externalParentInternal', values: { parent: 'a' } } });
    // The internal parent: its image is no longer the disk's top (an external snapshot came after), and
    // its children include an external one.
    expect(a?.deleteOne).toMatchObject({ allowed: false, reason: { key: 'internalImageChanged' } });
    expect(a?.deleteWithChildren).toMatchObject({ allowed: false, reason: { key: 'externalDescendants' } });
  });

  it('an external snapshot whose overlay left the running chain cannot be deleted', () => {
    const gone = snapshotXml({ name: 'b', state: 'disk-snapshot', memory: 'no', disk: 'external', file: '/img/web1.other.qcow2' });
    expect(snapshotEntries(tree(gone), ctx())[0]?.deleteOne).toMatchObject({ allowed: false, reason: { key: 'externalNotInChain' } });
  });

  it('internal tree: revert states, delete one and with children', () => {
    const shut = snapshotXml({ name: 'off', state: 'shutoff', memory: 'no', disk: 'internal', source: '/img/web1.snap1.qcow2' });
    const run = snapshotXml({ name: 'on', parent: 'off', state: 'running', memory: 'internal', disk: 'internal', source: '/img/web1.snap1.qcow2' });
    const [off, on] = snapshotEntries(tree(shut, run), ctx());
    expect(off).toMatchObject({ revertsTo: 'shutoff', withMemory: false, children: ['on'], current: false, location: 'internal' });
    expect(on).toMatchObject({ revertsTo: 'running', withMemory: true, parent: 'off', current: true });
    expect(off?.deleteWithChildren).toEqual({ allowed: true });
    expect(off?.revert).toEqual({ allowed: true });
    expect(stateAfterRevert(on as never, 'default')).toBe('running');
    expect(stateAfterRevert(on as never, 'paused')).toBe('paused');
    expect(stateAfterRevert(off as never, 'running')).toBe('running');
    // A transient guest must choose running or paused for a shut-off snapshot.
    expect(snapshotEntries(tree(shut), ctx({ persistent: false }))[0]?.revertDefaultAllowed).toBe(false);
    // Managed save + a snapshot without memory: libvirt calls it risky.
    expect(snapshotEntries(tree(shut), ctx({ hasManagedSave: true, state: 'shutoff' }))[0]?.revert).toMatchObject({ allowed: false, reason: { key: 'managedSave' } });
  });

  it('create: internal needs qcow2 and no pflash before 10.9.0; memory needs a running guest; quiesce needs the agent', () => {
    expect(createAbilities(ctx())).toEqual({
      internal: { allowed: true },
      external: { allowed: true },
      memory: { allowed: true },
      diskOnly: { allowed: true },
      quiesce: { allowed: false, reason: { key: 'agentNoAnswer', values: { reason: 'the guest agent is not connected' } } },
    });
    expect(createAbilities(ctx({ agent: { answers: true } })).quiesce).toEqual({ allowed: true });
    const off = createAbilities(ctx({ state: 'shutoff', agent: null }));
    expect(off.memory).toMatchObject({ allowed: false, reason: { key: 'notRunning' } });
    expect(off.quiesce).toMatchObject({ allowed: false, reason: { key: 'quiesceNeedsRunning' } });
    const raw = readDomainFacts(LIVE.replace("type='qcow2'", "type='raw'"));
    expect(createAbilities(ctx({ facts: raw })).internal).toMatchObject({ allowed: false, reason: { key: 'internalNeedsQcow2', values: { disk: 'vda', format: 'raw' } } });
    const uefi = (nvram: string) => readDomainFacts(LIVE.replace('</type>', `</type>\n    <loader readonly='yes' type='pflash'>/c.fd</loader>\n    ${nvram}`));
    expect(createAbilities(ctx({ facts: uefi('<nvram>/v.fd</nvram>') })).internal).toMatchObject({ allowed: false, reason: { key: 'pflashInternal', values: { needs: '10.9.0' } } });
    expect(createAbilities(ctx({ facts: uefi("<nvram format='qcow2'>/v.qcow2</nvram>"), version: 10_009_000 })).internal).toEqual({ allowed: true });
    expect(createAbilities(ctx({ facts: uefi('<nvram>/v.fd</nvram>'), version: 11_003_000 })).internal.allowed).toBe(false);
    expect(createAbilities(ctx({ state: 'pmsuspended' })).internal).toMatchObject({ allowed: false, reason: { key: 'pmsuspended' } });
    const none = readDomainFacts(LIVE.replace(/<disk type='file' device='disk'>[\s\S]*?<\/disk>/, ''));
    expect(createAbilities(ctx({ facts: none }))).toMatchObject({ internal: { allowed: false }, external: { allowed: false } });
  });
});
