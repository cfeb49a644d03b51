/**
 * The XML editor's calls: read and define a domain's XML (through the shared store), and the host's own
 * schema for validation, completion and hover.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { CallHandlers } from '../../api/api-router';
import type { LibvirtHostLink } from '../connections/libvirt-host-link';
import { defineDomainXml, readDomainXml } from './domain-xml-store';
import { DomainSchemaCache } from './host-schemas';

type DomainXmlCallName =
  | 'domainXml.get'
  | 'domainXml.define'
  | 'domainXml.schema'
  | 'domainXml.validate'
  | 'domainXml.complete'
  | 'domainXml.hover';

/** Documents larger than this are refused before parsing (a domain XML is a few KiB). */
const MAX_XML_CHARS = 4 * 1024 * 1024;

const hostId = z.string().min(1);
const uuid = z.string().regex(/^[0-9a-f-]{36}$/i, 'is not a UUID');
const xml = z.string().max(MAX_XML_CHARS);
const atOffset = z.object({ hostId, xml, offset: z.number().int().min(0).max(MAX_XML_CHARS) });

/** `configDir` null keeps compiled schemas in memory only. */
export function createDomainXmlHandlers(
  link: (hostId: string) => LibvirtHostLink,
  configDir: string | null,
): Pick<CallHandlers, DomainXmlCallName> {
  const schemas = new DomainSchemaCache(configDir ? join(configDir, 'cache', 'libvirt-schemas') : null);
  const schemaOf = (id: string) => {
    const host = link(id);
    return schemas.get({ ssh: host.ssh, libvirtVersion: host.info.libvirtVersion });
  };
  return {
    'domainXml.get': {
      request: z.object({ hostId, uuid }),
      handle: ({ hostId: id, uuid: domain }) => readDomainXml(link(id).libvirt, domain),
    },
    'domainXml.define': {
      request: z.object({ hostId, uuid, xml: xml.min(1), basedOn: xml }),
      handle: async ({ hostId: id, uuid: domain, xml: text, basedOn }) => ({
        inactive: await defineDomainXml(link(id).libvirt, { uuid: domain, xml: text, basedOn }),
      }),
    },
    'domainXml.schema': {
      request: z.object({ hostId }),
      handle: async ({ hostId: id }) => (await schemaOf(id)).info,
    },
    'domainXml.validate': {
      request: z.object({ hostId, xml }),
      handle: async ({ hostId: id, xml: text }) => ({ problems: (await schemaOf(id)).schema.validate(text) }),
    },
    'domainXml.complete': {
      request: atOffset,
      handle: async ({ hostId: id, xml: text, offset }) => (await schemaOf(id)).schema.complete(text, Math.min(offset, text.length)),
    },
    'domainXml.hover': {
      request: atOffset,
      handle: async ({ hostId: id, xml: text, offset }) => (await schemaOf(id)).schema.hover(text, Math.min(offset, text.length)),
    },
  };
}
