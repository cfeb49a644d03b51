import { describe, expect, it } from 'vitest';
import { definitionVersion, maskPasswords, spiceToVnc } from '../../../main/services/consoles/spice-to-vnc';

const DOMAIN = `<domain type='kvm' xmlns:vd='https://virtdeck.example/ns'>
  <name>guest</name>
  <uuid>1e033162-79cd-4585-af5d-88bcfb21844a</uuid>
  <metadata>
    <vd:note owner='ops'>keep me</vd:note>
  </metadata>
  <!-- a comment that must survive -->
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <channel type='spicevmc'>
      <target type='virtio' name='com.redhat.spice.0'/>
    </channel>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='spice' port='5902' autoport='yes' listen='127.0.0.1' passwd='longpassword1' keymap='de'>
      <listen type='address' address='127.0.0.1'/>
      <image compression='off'/>
    </graphics>
    <sound model='ich9'>
      <audio id='1'/>
    </sound>
    <audio id='1' type='spice'/>
    <redirdev bus='usb' type='spicevmc'/>
    <video>
      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>
    </video>
    <futuredevice flavour='unknown'/>
  </devices>
</domain>`;

describe('spiceToVnc', () => {
  it('replaces SPICE graphics by a VNC listener on 127.0.0.1 and drops only SPICE-carried devices', () => {
    const result = spiceToVnc(DOMAIN);
    expect(result.xml).toMatch(
      /<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1" passwd="longpassword1" keymap="de">\s*<listen type="address" address="127.0.0.1"\/>\s*<\/graphics>/,
    );
    expect(result.xml).not.toContain('spice');
    expect(result.xml).not.toContain('<image');
    expect(result.xml).not.toContain('redirdev');
    expect(result.xml).toContain('<audio id="1" type="none"/>');
    expect(result.warnings).toEqual(['VNC uses only the first 8 characters of the password']);
    expect(result.changes).toHaveLength(4);
  });

  it('keeps everything unrelated: metadata namespaces, comments, other channels, sound, video, unknown elements', () => {
    const { xml, original } = spiceToVnc(DOMAIN);
    for (const kept of [
      '<vd:note owner="ops">keep me</vd:note>',
      'xmlns:vd="https://virtdeck.example/ns"',
      '<!-- a comment that must survive -->',
      "name=\"org.qemu.guest_agent.0\"",
      '<sound model="ich9">',
      '<model type="qxl" ram="65536" vram="65536" vgamem="16384" heads="1" primary="yes"/>',
      '<futuredevice flavour="unknown"/>',
      '<uuid>1e033162-79cd-4585-af5d-88bcfb21844a</uuid>',
    ]) {
      expect(original).toContain(kept);
      expect(xml).toContain(kept);
    }
    // Only the changed lines differ: every line of the result that is not about graphics/audio is in the original.
    const originalLines = new Set(original.split('\n'));
    const added = xml.split('\n').filter((line) => !originalLines.has(line));
    expect(added.map((line) => line.trim())).toEqual([
      '<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1" passwd="longpassword1" keymap="de">',
      '<audio id="1" type="none"/>',
    ]);
    const resultLines = new Set(xml.split('\n').map((line) => line.trim()));
    const removed = original.split('\n').filter((line) => !resultLines.has(line.trim()));
    expect(removed.map((line) => line.trim())).toEqual([
      "<channel type=\"spicevmc\">",
      '<target type="virtio" name="com.redhat.spice.0"/>',
      '<graphics type="spice" port="5902" autoport="yes" listen="127.0.0.1" passwd="longpassword1" keymap="de">',
      '<image compression="off"/>',
      '<audio id="1" type="spice"/>',
      '<redirdev bus="usb" type="spicevmc"/>',
    ]);
    // The new element is indented like its siblings.
    expect(xml).toContain('\n    <graphics type="vnc"');
    expect(xml).toContain('\n      <listen type="address"');
    expect(xml).toContain('\n    </graphics>');
  });

  it('is refused for a guest without SPICE graphics, and for what is not a domain', () => {
    const vncOnly = DOMAIN.replace(/<graphics type='spice'[\s\S]*?<\/graphics>/, "<graphics type='vnc' port='-1'/>");
    expect(() => spiceToVnc(vncOnly)).toThrow(/no SPICE graphics/);
    expect(() => spiceToVnc('<network><name>x</name></network>')).toThrow(/not a <domain>/);
    expect(() => spiceToVnc('<domain')).toThrow(/not well-formed/);
  });

  it('removes SPICE graphics instead of adding a second VNC display when one exists', () => {
    const both = DOMAIN.replace('<video>', "<graphics type='vnc' port='-1' autoport='yes'/>\n    <video>");
    const { xml } = spiceToVnc(both);
    expect(xml.match(/<graphics /g)).toHaveLength(1);
    expect(xml).toContain('<graphics type="vnc" port="-1" autoport="yes"/>');
  });

  it('masks passwords in what is shown, and versions definitions by content', () => {
    expect(maskPasswords(`+ <graphics passwd="secret" x='1'>\n- <graphics passwd='other'>`)).toBe(
      `+ <graphics passwd="••••••" x='1'>\n- <graphics passwd='••••••'>`,
    );
    expect(definitionVersion('a')).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionVersion('a')).not.toBe(definitionVersion('b'));
  });
});
