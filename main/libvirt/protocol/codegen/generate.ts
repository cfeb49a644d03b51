/**
 * Generates main/libvirt/protocol/generated/*.gen.ts from libvirt's protocol sources.
 *
 *   npm run generate:libvirt -- [--src DIR] [--api DIR] [--out DIR] [--check]
 *
 *   --src DIR   unpacked libvirt source tree      (default $LIBVIRT_SRC_DIR, else /tmp/virtdeck-libvirt/src)
 *   --api DIR   dir with libvirt-api.xml and libvirt-qemu-api.xml
 *                                                  (default $LIBVIRT_API_DIR, else /tmp/virtdeck-libvirt/api)
 *   --out DIR   output directory                   (default main/libvirt/protocol/generated)
 *   --check     write nothing; exit 1 if the output directory differs from what would be generated
 *
 * Fetch the inputs with main/libvirt/protocol/codegen/fetch-sources.sh (see README.md there).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAll } from './generator';

export const DEFAULT_FETCH_DIR = '/tmp/virtdeck-libvirt';

function usage(msg?: string): never {
  if (msg) console.error(`generate: ${msg}`);
  console.error('usage: generate.ts [--src DIR] [--api DIR] [--out DIR] [--check]');
  process.exit(2);
}

function main(argv: readonly string[]): void {
  let src = process.env['LIBVIRT_SRC_DIR'] || join(DEFAULT_FETCH_DIR, 'src');
  let api = process.env['LIBVIRT_API_DIR'] || join(DEFAULT_FETCH_DIR, 'api');
  let out = fileURLToPath(new URL('../generated/', import.meta.url));
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--src') src = val();
    else if (a === '--api') api = val();
    else if (a === '--out') out = val();
    else if (a === '--check') check = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  src = resolve(src);
  api = resolve(api);
  out = resolve(out);
  if (!existsSync(join(src, 'src/remote/remote_protocol.x'))) {
    usage(`${src} is not a libvirt source tree (run fetch-sources.sh, or pass --src / set LIBVIRT_SRC_DIR)`);
  }
  if (!existsSync(join(api, 'libvirt-api.xml'))) {
    usage(`${api} has no libvirt-api.xml (run fetch-sources.sh, or pass --api / set LIBVIRT_API_DIR)`);
  }

  const t0 = performance.now();
  const result = generateAll({ srcDir: src, apiDir: api });
  for (const w of result.warnings) console.warn(`warning: ${w}`);

  const existing = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.gen.ts')) : [];
  const stale = existing.filter((f) => !result.files.has(f));
  if (check) {
    const differing = [...result.files].filter(([name, code]) => {
      const p = join(out, name);
      return !existsSync(p) || readFileSync(p, 'utf8') !== code;
    });
    if (differing.length || stale.length) {
      for (const [name] of differing) console.error(`out of date: ${name}`);
      for (const name of stale) console.error(`stale: ${name}`);
      process.exit(1);
    }
    console.log(`generated files are up to date (libvirt ${result.libvirtVersion})`);
    return;
  }
  mkdirSync(out, { recursive: true });
  for (const name of stale) rmSync(join(out, name));
  for (const [name, code] of result.files) {
    writeFileSync(join(out, name), code);
    console.log(`${name.padEnd(28)} ${(code.length / 1024).toFixed(1).padStart(8)} KiB`);
  }
  console.log(
    `libvirt ${result.libvirtVersion}: ${result.files.size} files in ${(performance.now() - t0).toFixed(0)} ms → ${out}`,
  );
}

main(process.argv.slice(2));
