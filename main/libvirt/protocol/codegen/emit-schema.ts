/** Emits xdr-schema.gen.ts: a plain-data description of every generated type plus its codec. */
import type { ProtocolFile } from './model';

export interface SchemaSource {
  readonly file: ProtocolFile;
  readonly schema: ReadonlyMap<string, { description: string; minSize: number; codec: string }>;
}

export function emitSchema(header: string, sources: readonly SchemaSource[]): string {
  const out: string[] = [header, ''];
  out.push(`import type { XdrSchema } from '../../xdr';`);
  for (const s of sources) {
    if (s.schema.size > 0) out.push(`import * as ${s.file.id} from './${s.file.module}';`);
  }
  out.push('');
  out.push('/** Every XDR type of every generated module: description, minimum size and codec. */');
  out.push('export const xdrSchema: XdrSchema = {');
  for (const s of sources) {
    for (const [name, e] of s.schema) {
      out.push(
        `  ${name}: { module: '${s.file.id}', minSize: ${e.minSize}, codec: ${s.file.id}.${e.codec}, description: ${e.description} },`,
      );
    }
  }
  out.push('};');
  return `${out.join('\n')}\n`;
}
