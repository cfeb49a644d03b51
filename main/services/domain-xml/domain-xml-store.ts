/**
 * Reading and writing one domain's XML definition on its host: the single way the XML editor and the
 * tuning forms get a domain's XML and apply a changed one. Nothing reaches libvirt unless it is
 * well-formed, still names the same domain, and was edited from what is on the host right now.
 */
import type { LibvirtClient } from '../../libvirt/client';
import { virDomainDefineFlags, virDomainXMLFlags } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { attr, child, parseXmlDocument, text } from '../domains/domain-xml-parse';

/** The persistent definition, with secrets when the account may read them (SECURE needs write access). */
export async function readPersistent(libvirt: LibvirtClient, uuid: string): Promise<string> {
  const ref = { uuid };
  const inactive = virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE;
  return libvirt
    .domain.getXml(ref, inactive | virDomainXMLFlags.VIR_DOMAIN_XML_SECURE)
    .catch(() => libvirt.domain.getXml(ref, inactive));
}

export interface DomainXmlSource {
  /** The persistent definition (what the next boot uses), with secrets when the account may read them. */
  inactive: string;
  /** The running domain's live XML; null when the domain is not running. */
  live: string | null;
}

/** Reads the persistent definition and, for a running domain, the live one. */
export async function readDomainXml(libvirt: LibvirtClient, uuid: string): Promise<DomainXmlSource> {
  const ref = { uuid };
  const domain = await libvirt.domain.lookup(ref);
  const inactive = await readPersistent(libvirt, uuid);
  const live = domain.id > 0
    ? await libvirt.domain.getXml(ref, virDomainXMLFlags.VIR_DOMAIN_XML_SECURE).catch(() => libvirt.domain.getXml(ref, 0))
    : null;
  return { inactive, live };
}

export interface DefineDomainXmlRequest {
  uuid: string;
  /** The new persistent definition. */
  xml: string;
  /**
   * The persistent XML the edit started from. When the host's definition no longer matches it (someone
   * else changed the domain meanwhile) nothing is written and the call fails with `conflict`.
   */
  basedOn: string;
}

/**
 * Checks the document locally (well-formed, a <domain> with the same UUID), checks nobody changed the
 * domain since `basedOn` was read, then defines it with libvirt's VALIDATE flag (libvirt checks it
 * against its schema and refuses invalid XML). Returns the definition as libvirt stored it.
 */
export async function defineDomainXml(libvirt: LibvirtClient, request: DefineDomainXmlRequest): Promise<string> {
  const root = parseXmlDocument(request.xml, 'The domain XML');
  if (root.localName !== 'domain') {
    throw new ApiFailure('invalid-request', `The document's root element is <${root.localName}>, not <domain>`);
  }
  const uuidElement = child(root, 'uuid');
  const newUuid = (text(uuidElement) ?? '').trim().toLowerCase();
  if (newUuid !== request.uuid.toLowerCase()) {
    throw new ApiFailure(
      'invalid-request',
      newUuid
        ? `The XML names another domain (uuid ${newUuid}); the UUID of a domain cannot be changed here`
        : 'The XML has no <uuid>; keep the domain\'s UUID so the definition replaces this domain',
    );
  }
  if (!attr(root, 'type')) throw new ApiFailure('invalid-request', 'The <domain> element needs a type attribute');
  const current = await readPersistent(libvirt, request.uuid);
  if (current !== request.basedOn) {
    throw new ApiFailure('conflict', 'The domain was changed on the host since this edit began; reload it and apply again');
  }
  await libvirt.domain.define(request.xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
  return readPersistent(libvirt, request.uuid);
}
