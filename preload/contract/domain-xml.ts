/**
 * The domain XML editor: the definition, schema-driven validation, completion and hover.
 */

import type { DomainRef } from './domains';
import type { AssertNever } from './channel-names';

/** A problem in a domain XML document, at 1-based lines and columns (UTF-16, as editors count). */
export interface DomainXmlProblem {
  kind: 'well-formedness' | 'schema' | 'libvirt';
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** false when the position could not be determined: the UI shows it at the top of the document. */
  located: boolean;
}

/** Where the schema behind completion and validation came from. */
export interface DomainXmlSchemaInfo {
  libvirtVersion: string;
  /** `host`: just read from the host over SFTP (or this computer's disk); `cache`: the per-version cache. */
  source: 'host' | 'cache';
  files: number;
  loadMs: number;
}

/** A completion at an offset of a domain XML document; [from, to) is the text it replaces. */
export interface DomainXmlCompletion {
  label: string;
  kind: 'element' | 'attribute' | 'value' | 'closing-tag';
  insertText: string;
  /** insertText is a snippet ($1 = cursor). */
  snippet: boolean;
  detail: string;
  from: number;
  to: number;
}

export interface DomainXmlHover {
  markdown: string;
  from: number;
  to: number;
}

export interface DomainXmlCalls {
  /** The persistent definition and, when running, the live XML (both with secrets when readable). */
  'domainXml.get': { request: DomainRef; response: { inactive: string; live: string | null } };
  /** Defines `xml` (VALIDATE) if the host's definition still equals `basedOn`; returns what libvirt stored. */
  'domainXml.define': { request: DomainRef & { xml: string; basedOn: string }; response: { inactive: string } };
  /** Loads (once per libvirt version) the host's domain schema. */
  'domainXml.schema': { request: { hostId: string }; response: DomainXmlSchemaInfo };
  /** Well-formedness and schema problems of a document against the host's schema. Touches nothing. */
  'domainXml.validate': { request: { hostId: string; xml: string }; response: { problems: DomainXmlProblem[] } };
  'domainXml.complete': { request: { hostId: string; xml: string; offset: number }; response: DomainXmlCompletion[] };
  'domainXml.hover': { request: { hostId: string; xml: string; offset: number }; response: DomainXmlHover | null };
}

export const DOMAIN_XML_CALLS = [
  'domainXml.get',
  'domainXml.define',
  'domainXml.schema',
  'domainXml.validate',
  'domainXml.complete',
  'domainXml.hover',
] as const satisfies readonly (keyof DomainXmlCalls)[];
export type _DomainXmlCallsListed = AssertNever<Exclude<keyof DomainXmlCalls, (typeof DOMAIN_XML_CALLS)[number]>>;
