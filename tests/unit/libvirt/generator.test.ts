import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCInteger, parseApiXml } from '../../../main/libvirt/protocol/codegen/api-xml';
import { emitProtocolModule } from '../../../main/libvirt/protocol/codegen/emit-protocol';
import { emitSchema } from '../../../main/libvirt/protocol/codegen/emit-schema';
import { generateAll } from '../../../main/libvirt/protocol/codegen/generator';
import { XdrSyntaxError } from '../../../main/libvirt/protocol/codegen/lexer';
import { Model, type ProtocolFile } from '../../../main/libvirt/protocol/codegen/model';
import { parseXdr } from '../../../main/libvirt/protocol/codegen/parser';
import { XdrError, xdrDecode, xdrEncode, type XdrCodec, type XdrSchema } from '../../../main/libvirt/xdr';
import type { ProcedureInfo } from '../../../main/libvirt/protocol/procedure';
import { Rng, ValueFactory, hex } from './xdr-random';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const generatedDir = join(repo, 'main/libvirt/protocol/generated');

/** A spec exercising every construct the generator supports (libvirt itself uses a subset). */
const DEMO_X = `
/* -*- c -*- header comment /* with an inner opener */
%#include "internal.h"
%#include <rpc/rpc.h>
const DEMO_PROGRAM = 0x20001234;
const DEMO_PROTOCOL_VERSION = 1;
const DEMO_MAX = 5;
const DEMO_OCT = 010;            /* 8 */
const DEMO_NEG = -3;
const DEMO_ALIAS = EXT_LEN;     /* from the API XML: (2 + 2) */

enum demo_color { DEMO_RED = 0, DEMO_GREEN = 1, DEMO_BLUE = 2, DEMO_ALSO_BLUE = DEMO_BLUE };

typedef string demo_str<DEMO_MAX>;
typedef demo_str *demo_optstr;
typedef opaque demo_uuid[EXT_LEN];
typedef int demo_ints<>;
typedef demo_color demo_colors[3];

struct demo_all {
  char c; unsigned char uc; short s; unsigned short us;
  int i; unsigned int ui; unsigned bare; hyper h; unsigned hyper uh;
  bool b; float f; double d;
  string free<>;
  opaque blob<DEMO_OCT>;
  opaque fixed[3];
  demo_uuid uuid;
  int fixedints[2];
  char model[4];
  hyper hypers<2>;
  demo_color color;
  demo_color *maybe_color;
  demo_optstr name;
  demo_ints ints;
  demo_colors colors;
  struct { int x; int y; } point;
};

union demo_int_union switch (int kind) {
 case 1:
 case 2:
   int small;
 case DEMO_NEG:
   hyper neg;
 case 4:
   void;
 default:
   demo_str other;
};

union demo_void_default switch (unsigned int tag) {
 case 0: demo_all all;
 default: void;
};

union demo_enum_union switch (demo_color color) {
 case DEMO_RED: int red;
 case DEMO_GREEN: void;
 default: string rest<10>;
};

union demo_bool_union switch (bool set) {
 case TRUE: demo_str value;
 case FALSE: void;
};

struct demo_list { demo_int_union items<DEMO_MAX>; demo_enum_union *first; demo_bool_union flags[2]; demo_void_default v; };

typedef struct { demo_str key; int value; } demo_pair;
struct demo_do_args { demo_pair pairs<>; };
struct demo_do_ret { demo_list list; };
struct demo_event_msg { int callbackID; };
struct demo_both_args { int a; };

enum demo_procedure {
    /* Plain comment: not an annotation. */
    /**
     * @generate: both
     * @priority: high
     * @acl: domain:read
     * @acl: domain:write:VIR_DEMO_FLAG
     * @aclfilter: domain:getattr
     */
    DEMO_PROC_DO = 1,
    /**
     * @generate: none
     * @readstream: 2
     * @writestream: 1
     * @sparseflag: VIR_DEMO_SPARSE
     */
    DEMO_PROC_BOTH = 2,
    /** @generate: both */
    DEMO_PROC_EVENT = 3,
};
`;

const DEMO_API = `<api name='demo'>
  <symbols>
    <macro name='EXT_LEN' file='demo' raw='(2 + 2)'/>
    <macro name='EXT_STR' file='demo' string='a&apos;b'/>
    <macro name='EXT_FN' file='demo' params='x' raw='((x) + 1)'/>
    <enum name='EXT_A' file='demo' value='1' value_hex='0x1' value_bitshift='0' type='extFlags'/>
    <enum name='EXT_B' file='demo' value='2147483648' value_hex='0x80000000' value_bitshift='31' type='extFlags'/>
    <enum name='EXT_ALIAS' file='demo' value='EXT_B' type='extOther'/>
  </symbols>
</api>`;

function generateDemo(): { code: string; schema: string } {
  const spec = parseXdr(DEMO_X, 'demo_protocol.x');
  const file: ProtocolFile = { id: 'demo', xName: 'demo_protocol.x', module: 'demo-protocol.gen', spec };
  const model = new Model([file], parseApiXml([{ file: 'demo-api.xml', xml: DEMO_API }]));
  const emitted = emitProtocolModule(model, file, '// demo', {
    procEnum: 'demo_procedure',
    procPrefix: 'DEMO_PROC_',
    structPrefix: 'demo_',
    programConst: 'DEMO_PROGRAM',
    versionConst: 'DEMO_PROTOCOL_VERSION',
    tableName: 'demoProcedures',
  });
  expect(emitted.warnings).toEqual([]);
  return { code: emitted.code, schema: emitSchema('// demo', [{ file, schema: emitted.schema }]) };
}

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** Writes the demo modules to a temp dir with imports pointing back into the repo. */
function writeDemo(): { dir: string; module: string; schemaModule: string } {
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-codegen-'));
  tmpDirs.push(dir);
  const { code, schema } = generateDemo();
  const fix = (s: string): string =>
    s
      .replace(/from '\.\.\/\.\.\/xdr'/g, `from '${join(repo, 'main/libvirt/xdr/index')}'`)
      .replace(/from '\.\.\/procedure'/g, `from '${join(repo, 'main/libvirt/protocol/procedure')}'`);
  const module = join(dir, 'demo-protocol.gen.ts');
  const schemaModule = join(dir, 'xdr-schema.gen.ts');
  writeFileSync(module, fix(code));
  writeFileSync(schemaModule, fix(schema));
  return { dir, module, schemaModule };
}

describe('XDR parser', () => {
  it('parses the constructs libvirt uses, and more', () => {
    const spec = parseXdr(DEMO_X, 'demo_protocol.x');
    const kinds = spec.definitions.map((d) => `${d.kind}:${d.name}`);
    expect(kinds).toContain('struct:demo_all_point'); // hoisted inline struct
    expect(kinds).toContain('struct:demo_pair'); // typedef struct {...} name
    const u = spec.definitions.find((d) => d.name === 'demo_int_union');
    expect(u?.kind === 'union' && u.arms[0]?.cases.length).toBe(2);
    const procs = spec.definitions.find((d) => d.name === 'demo_procedure');
    expect(procs?.kind === 'enum' && procs.members[0]?.doc).toMatch(/@priority: high/);
  });

  it('reports syntax errors with file:line:column', () => {
    expect(() => parseXdr('struct x { int a }', 'bad.x')).toThrow(XdrSyntaxError);
    expect(() => parseXdr('struct x {\n int a;\n string s;\n};', 'bad.x')).toThrow(
      /bad\.x:3:2: 'string' needs a length/,
    );
    expect(() => parseXdr('/* never closed', 'bad.x')).toThrow(/unterminated comment/);
    expect(() => parseXdr('typedef int x;\nconst = 1;', 'bad.x')).toThrow(/bad\.x:2:7/);
    expect(() => parseXdr('program P { version V { int f(int) = 1; } = 1; } = 2;', 'bad.x')).toThrow(
      /not supported/,
    );
    expect(() => parseXdr('typedef opaque *o;', 'bad.x')).toThrow(/cannot be optional/);
  });

  it('evaluates simple C integer macros', () => {
    const none = (): bigint | undefined => undefined;
    expect(evalCInteger('(256 + 1)', none)).toBe(257n);
    expect(evalCInteger('9007199254740991LL /* = INT64_MAX >> 10 */', none)).toBe(9007199254740991n);
    expect(evalCInteger('1 << 31', none)).toBe(2147483648n);
    expect(evalCInteger('A * 2', (n) => (n === 'A' ? 21n : undefined))).toBe(42n);
    expect(evalCInteger('memcpy(a, b)', none)).toBeNull();
    expect(evalCInteger('', none)).toBeNull();
  });

  it('reads API XML enums (incl. references and 1<<31) and macros', () => {
    const api = parseApiXml([{ file: 'demo-api.xml', xml: DEMO_API }]);
    expect(api.enums.map((e) => [e.name, e.value])).toEqual([
      ['EXT_A', 1n],
      ['EXT_B', 2147483648n],
      ['EXT_ALIAS', 2147483648n],
    ]);
    expect(api.macros).toEqual([
      { name: 'EXT_LEN', kind: 'number', value: 4n, info: null, source: 'demo-api.xml' },
      { name: 'EXT_STR', kind: 'string', value: "a'b", info: null, source: 'demo-api.xml' },
    ]);
  });
});

describe('generated code for the demo spec', () => {
  it('type-checks under the repo compiler settings', () => {
    const { module, schemaModule } = writeDemo();
    const program = ts.createProgram([module, schemaModule], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      noImplicitAny: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      skipLibCheck: true,
      lib: ['lib.es2023.d.ts'],
      typeRoots: [join(repo, 'node_modules/@types')],
      types: ['node'],
    });
    const diags = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diags).toEqual([]);
  }, 30000);

  it('round-trips every demo type, including union default arms and enum/bool discriminants', async () => {
    const { module, schemaModule } = writeDemo();
    const mod: Record<string, unknown> = await import(/* @vite-ignore */ pathToFileURL(module).href);
    const { xdrSchema } = (await import(/* @vite-ignore */ pathToFileURL(schemaModule).href)) as {
      xdrSchema: XdrSchema;
    };
    expect(Object.keys(xdrSchema).sort()).toContain('demo_all_point');
    const factory = new ValueFactory(xdrSchema, new Rng(99));
    for (const [name, entry] of Object.entries(xdrSchema)) {
      for (let i = 0; i < 60; i++) {
        const v = factory.forType(name);
        const bytes = xdrEncode(entry.codec, v);
        expect(xdrDecode(entry.codec, bytes), name).toEqual(v);
        expect(hex(xdrEncode(entry.codec, xdrDecode(entry.codec, bytes))), name).toBe(hex(bytes));
      }
      expect(xdrEncode(entry.codec, factory.minimal(name)).length, name).toBe(entry.minSize);
    }

    // Golden bytes for the interesting unions.
    const intUnion = mod['DemoIntUnionCodec'] as XdrCodec<unknown>;
    expect(hex(xdrEncode(intUnion, { kind: 2, small: 7 }))).toBe('00000002' + '00000007');
    expect(hex(xdrEncode(intUnion, { kind: -3, neg: -1n }))).toBe('fffffffd' + 'ffffffffffffffff');
    expect(hex(xdrEncode(intUnion, { kind: 4 }))).toBe('00000004');
    expect(hex(xdrEncode(intUnion, { kind: 99, other: 'ab' }))).toBe('00000063' + '00000002' + '61620000');
    expect(xdrDecode(intUnion, xdrEncode(intUnion, { kind: 99, other: 'ab' }))).toEqual({
      kind: 99,
      other: 'ab',
    });
    const enumUnion = mod['DemoEnumUnionCodec'] as XdrCodec<unknown>;
    expect(xdrDecode(enumUnion, xdrEncode(enumUnion, { color: 2, rest: 'x' }))).toEqual({
      color: 2,
      rest: 'x',
    });
    expect(() => xdrDecode(enumUnion, new Uint8Array([0, 0, 0, 7]))).toThrow(XdrError); // not a demo_color
    const boolUnion = mod['DemoBoolUnionCodec'] as XdrCodec<unknown>;
    expect(hex(xdrEncode(boolUnion, { set: true, value: 'q' }))).toBe('00000001' + '00000001' + '71000000');
    expect(() => xdrDecode(boolUnion, new Uint8Array([0, 0, 0, 2]))).toThrow(/bool/);

    // Constants.
    expect(mod['DEMO_PROGRAM']).toBe(0x20001234);
    expect(mod['DEMO_OCT']).toBe(8);
    expect(mod['DEMO_NEG']).toBe(-3);
    expect(mod['DEMO_ALIAS']).toBe(4);
    expect(mod['DemoColor']).toEqual({ DEMO_RED: 0, DEMO_GREEN: 1, DEMO_BLUE: 2, DEMO_ALSO_BLUE: 2 });

    // Procedure table with annotations.
    const table = mod['demoProcedures'] as Record<string, ProcedureInfo>;
    expect(table['DEMO_PROC_DO']).toMatchObject({
      proc: 1,
      kind: 'call',
      priority: 'high',
      generate: 'both',
      stream: 'none',
      acl: ['domain:read', 'domain:write:VIR_DEMO_FLAG'],
      aclFilter: ['domain:getattr'],
    });
    expect(table['DEMO_PROC_DO']?.args.name).toBe('demo_do_args');
    expect(table['DEMO_PROC_DO']?.ret.name).toBe('demo_do_ret');
    expect(table['DEMO_PROC_BOTH']).toMatchObject({
      stream: 'both',
      readStream: 2,
      writeStream: 1,
      sparseFlag: 'VIR_DEMO_SPARSE',
      priority: 'low',
    });
    expect(table['DEMO_PROC_EVENT']?.kind).toBe('message');
    expect(table['DEMO_PROC_EVENT']?.msg.name).toBe('demo_event_msg');
  }, 30000);
});

const srcDir = resolve(process.env['LIBVIRT_SRC_DIR'] || '/tmp/virtdeck-libvirt/src');
const apiDir = resolve(process.env['LIBVIRT_API_DIR'] || '/tmp/virtdeck-libvirt/api');
const haveSources =
  existsSync(join(srcDir, 'src/remote/remote_protocol.x')) && existsSync(join(apiDir, 'libvirt-api.xml'));
const skipReason = haveSources
  ? ''
  : ` [SKIPPED: libvirt sources not found at ${srcDir} / ${apiDir}; run main/libvirt/protocol/codegen/fetch-sources.sh or set LIBVIRT_SRC_DIR and LIBVIRT_API_DIR]`;

describe('generator on the real libvirt sources', () => {
  it.skipIf(!haveSources)(
    `is deterministic and matches the committed files${skipReason}`,
    () => {
      const a = generateAll({ srcDir, apiDir });
      const b = generateAll({ srcDir, apiDir });
      expect([...a.files.keys()]).toEqual([...b.files.keys()]);
      for (const [name, code] of a.files) expect(b.files.get(name), name).toBe(code);
      expect(a.warnings).toEqual([]);
      const committedVersion = /from libvirt (\S+) /.exec(
        readFileSync(join(generatedDir, 'remote-protocol.gen.ts'), 'utf8'),
      )?.[1];
      if (committedVersion === a.libvirtVersion) {
        for (const [name, code] of a.files) {
          expect(
            readFileSync(join(generatedDir, name), 'utf8') === code,
            `${name} is out of date: run npm run generate:libvirt`,
          ).toBe(true);
        }
      }
    },
    60000,
  );

  it('committed generated files carry the DO NOT EDIT header', () => {
    for (const name of [
      'remote-protocol.gen.ts',
      'qemu-protocol.gen.ts',
      'virnet-protocol.gen.ts',
      'keepalive-protocol.gen.ts',
      'lxc-protocol.gen.ts',
      'remote-events.gen.ts',
      'libvirt-constants.gen.ts',
      'xdr-schema.gen.ts',
    ]) {
      const first = readFileSync(join(generatedDir, name), 'utf8').split('\n')[0];
      expect(first, name).toMatch(
        /^\/\/ Code generated by main\/libvirt\/protocol\/codegen\/generate\.ts from libvirt \d+\.\d+\.\d+ .+\. DO NOT EDIT\.$/,
      );
    }
  });
});
