/**
 * Codec micro-benchmarks (not a test): `npx tsx tests/unit/libvirt/bench.ts`
 */
import { XdrReader, XdrWriter, xdrDecode, xdrEncode } from '../../../main/libvirt/xdr';
import {
  RemoteConnectGetAllDomainStatsRetCodec,
  decodeRemoteNonnullDomain,
  encodeRemoteNonnullDomain,
  type RemoteConnectGetAllDomainStatsRet,
  type RemoteNonnullDomain,
  type RemoteTypedParam,
} from '../../../main/libvirt/protocol';

/** Runs `fn` in 7 batches after a warm-up; prints the median and best per-call time. */
function time(label: string, runs: number, fn: () => void): number {
  for (let i = 0; i < Math.min(runs, 20); i++) fn(); // warm-up
  const perCall: number[] = [];
  const batch = Math.max(1, Math.round(runs / 7));
  for (let b = 0; b < 7; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    perCall.push((performance.now() - t0) / batch);
  }
  perCall.sort((a, b) => a - b);
  const median = perCall[3] ?? 0;
  console.log(
    `${label.padEnd(60)} median ${median.toFixed(3).padStart(8)} ms  best ${(perCall[0] ?? 0).toFixed(3).padStart(8)} ms`,
  );
  return median;
}

// 1. 100k remote_nonnull_domain
const N = 100_000;
const doms: RemoteNonnullDomain[] = Array.from({ length: N }, (_, i) => ({
  name: `guest-${i.toString().padStart(5, '0')}`,
  uuid: new Uint8Array(16).fill(i & 0xff),
  id: i % 7 === 0 ? -1 : i,
}));
const w = new XdrWriter(1 << 20);
time(`encode ${N} remote_nonnull_domain (reused writer)`, 35, () => {
  w.reset();
  for (const d of doms) encodeRemoteNonnullDomain(w, d);
});
const domBytes = w.toBytes();
console.log(`  (${domBytes.length} bytes)`);
time(`decode ${N} remote_nonnull_domain`, 35, () => {
  const r = new XdrReader(domBytes);
  for (let i = 0; i < N; i++) decodeRemoteNonnullDomain(r);
});

// 2. GET_ALL_DOMAIN_STATS reply: 300 domains x 30 typed params (mixed kinds, realistic keys).
const kinds: ((i: number) => RemoteTypedParam['value'])[] = [
  (i) => ({ type: 1, i }),
  (i) => ({ type: 2, ui: i }),
  (i) => ({ type: 4, ul: 123456789012345678n + BigInt(i) }),
  (i) => ({ type: 3, l: -BigInt(i) }),
  (i) => ({ type: 7, s: `vd${String.fromCharCode(97 + (i % 26))}` }),
  (i) => ({ type: 5, d: i / 3 }),
];
const reply: RemoteConnectGetAllDomainStatsRet = {
  retStats: Array.from({ length: 300 }, (_, d) => ({
    dom: { name: `guest-${d}`, uuid: new Uint8Array(16).fill(d & 0xff), id: d + 1 },
    params: Array.from({ length: 30 }, (_, p) => ({
      field: `block.${p % 4}.${['rd.reqs', 'wr.bytes', 'name', 'allocation', 'capacity', 'physical'][p % 6] ?? ''}`,
      value: (kinds[p % kinds.length] ?? ((i: number) => ({ type: 1, i })))(p + d),
    })),
  })),
};
const statsBytes = xdrEncode(RemoteConnectGetAllDomainStatsRetCodec, reply);
console.log(`GET_ALL_DOMAIN_STATS reply 300 x 30: ${statsBytes.length} bytes`);
time('encode GET_ALL_DOMAIN_STATS reply (300 domains x 30 params)', 350, () => {
  w.reset();
  xdrEncode(RemoteConnectGetAllDomainStatsRetCodec, reply, w);
});
time('decode GET_ALL_DOMAIN_STATS reply (300 domains x 30 params)', 350, () => {
  xdrDecode(RemoteConnectGetAllDomainStatsRetCodec, statsBytes);
});
