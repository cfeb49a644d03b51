import { join } from 'node:path';

/**
 * A throwaway copy of a lab guest's persistent XML for tests that need a guest of their own: a new name
 * and no UUID (libvirt makes one), no disk (the original's qcow2 stays its own), its own serial log, the
 * lab kernel with `initramfs-net.gz` (virtio-net + a DHCP client) when it gets NICs, and extra devices
 * (NICs, host devices) appended to <devices>.
 */
export function throwawayGuestXml(
  labXml: string,
  options: { name: string; stateDir: string; serialLog: string; devices?: string[]; networkImage?: boolean },
): string {
  const original = /<name>([^<]+)<\/name>/.exec(labXml)?.[1];
  if (!original) throw new Error('the lab XML has no <name>');
  let xml = labXml
    .replace(`<name>${original}</name>`, `<name>${options.name}</name>`)
    .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
    .replace(`vd.name=${original}`, `vd.name=${options.name}`)
    .replace(/\s*<disk [\s\S]*?<\/disk>/g, '')
    .replace(/<log file='[^']*'/g, `<log file='${options.serialLog}'`)
    // Addresses of the original's devices stay valid; new devices get theirs from libvirt.
    .replace(/<title>[^<]*<\/title>/, `<title>VirtDeck test guest ${options.name}</title>`);
  if (options.networkImage) {
    xml = xml.replace(/<initrd>[^<]*<\/initrd>/, `<initrd>${join(options.stateDir, 'guest', 'initramfs-net.gz')}</initrd>`);
  }
  if (options.devices && options.devices.length > 0) {
    xml = xml.replace('</devices>', `${options.devices.map((d) => d.trim()).join('\n')}\n  </devices>`);
  }
  return xml;
}
