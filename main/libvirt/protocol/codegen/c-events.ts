/**
 * Extracts libvirt's event tables from its C sources, because the mapping from an event ID
 * (virDomainEventID etc.) to the MESSAGE procedure that carries it cannot be derived from names:
 *
 *  - src/remote/remote_daemon_dispatch.c: `domainEventCallbacks[]` (and the network, storage
 *    pool, node device, secret arrays) list one relay function per event ID, in event-ID order;
 *    each relay function sends `REMOTE_PROC_*` message(s) with an `xdr_*_msg` payload. Relay
 *    functions of old domain events send a legacy procedure when the client registered with the
 *    old API (`callback->legacy`) and a `*_CALLBACK_*` procedure otherwise.
 *  - src/remote/remote_driver.c: `remoteEvents[]` / `qemuEvents[]` list every MESSAGE procedure
 *    the client handles, with its payload type — used to cross-check the generated tables.
 */

export interface RelayFunction {
  readonly relay: string;
  /** Procedures sent, in source order: [legacy, modern] or [modern]. */
  readonly procs: readonly string[];
  /** Payload xdr types, in the same order as `procs`. */
  readonly xdrTypes: readonly string[];
  readonly hasLegacyBranch: boolean;
}

export interface ClientEvent {
  readonly proc: string;
  readonly xdrType: string;
}

function stripComments(c: string): string {
  return c.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** Body of the top-level C function `name` (from its opening to its closing brace). */
function functionBody(c: string, name: string): string {
  const re = new RegExp(`^(?:static\\s+)?[\\w\\s*]*\\b${name}\\s*\\(`, 'm');
  const m = re.exec(c);
  if (!m) throw new Error(`C source: function ${name} not found`);
  const open = c.indexOf('{', m.index);
  let depth = 0;
  for (let i = open; i < c.length; i++) {
    const ch = c[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return c.slice(open, i + 1);
    }
  }
  throw new Error(`C source: unterminated function ${name}`);
}

/** The relay functions listed in the daemon's `<arrayName>[]` table, in event-ID order. */
export function parseDaemonEventTable(dispatchC: string, arrayName: string): RelayFunction[] {
  const c = stripComments(dispatchC);
  const re = new RegExp(`\\b${arrayName}\\s*\\[\\s*\\]\\s*=\\s*\\{([\\s\\S]*?)\\};`);
  const m = re.exec(c);
  if (!m) throw new Error(`remote_daemon_dispatch.c: table ${arrayName}[] not found`);
  const relays = [...(m[1] as string).matchAll(/_CALLBACK\s*\(\s*(\w+)\s*\)/g)].map((x) => x[1] as string);
  if (relays.length === 0) throw new Error(`remote_daemon_dispatch.c: ${arrayName}[] is empty`);
  return relays.map((relay) => {
    const body = functionBody(c, relay);
    const procs = [...body.matchAll(/\b((?:REMOTE|QEMU|LXC)_PROC_\w+)/g)].map((x) => x[1] as string);
    const xdrTypes = [...body.matchAll(/\(xdrproc_t\)\s*xdr_(\w+)/g)].map((x) => x[1] as string);
    const hasLegacyBranch = /callback->legacy/.test(body);
    if (
      procs.length < 1 ||
      procs.length > 2 ||
      procs.length !== xdrTypes.length ||
      (procs.length === 2) !== hasLegacyBranch
    ) {
      throw new Error(
        `remote_daemon_dispatch.c: ${relay}: unexpected shape (procs ${procs.join(',')}; types ${xdrTypes.join(',')})`,
      );
    }
    return { relay, procs, xdrTypes, hasLegacyBranch };
  });
}

/** Entries of the client's `virNetClientProgramEvent <arrayName>[]` table. */
export function parseClientEventTable(driverC: string, arrayName: string): ClientEvent[] {
  const c = stripComments(driverC);
  const re = new RegExp(`\\b${arrayName}\\s*\\[\\s*\\]\\s*=\\s*\\{([\\s\\S]*?)\\n\\};`);
  const m = re.exec(c);
  if (!m) throw new Error(`remote_driver.c: table ${arrayName}[] not found`);
  const out: ClientEvent[] = [];
  for (const e of (m[1] as string).matchAll(/\{\s*(\w+_PROC_\w+)\s*,[^}]*?\(xdrproc_t\)\s*xdr_(\w+)\s*\}/g)) {
    out.push({ proc: e[1] as string, xdrType: e[2] as string });
  }
  if (out.length === 0) throw new Error(`remote_driver.c: ${arrayName}[] is empty`);
  return out;
}
