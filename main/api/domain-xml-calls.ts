/**
 * The XML editor's calls: read and define a domain's XML (through the shared store), and the host's own
 * schema for validation, completion and hover.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { DomainXmlCalls } from '../../preload/api-contract';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainUuid as uuid, hostId } from './request-schemas';
import { defineDomainXml, readDomainXml } from '../services/domain-xml/domain-xml-store';
import { DomainSchemaCache } from '../services/domain-xml/host-schemas';

/** Documents larger than this are refused before parsing (a domain XML is a few KiB). */
const MAX_XML_CHARS = 4 * 1024 * 1024;

const xml = z.string().max(MAX_XML_CHARS);
const atOffset = z.object({ hostId, xml, offset: z.number().int().min(0).max(MAX_XML_CHARS) });

/** Compiled schemas are cached per libvirt version under the config directory. */
export function createDomainXmlCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainXmlCalls> {
  const link = (id: string) => requireLink(deps, id);
  const schemas = new DomainSchemaCache(join(deps.appInfo.configDir, 'cache', 'libvirt-schemas'));
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
