/**
 * The fleet table at scale (issue 16), in Chromium against its own serve-mode process: N host entries,
 * each the lab's sshd (real SSH, real libvirt RPC), and M throwaway shut-off guests (vd-test-scale-NNN,
 * defined for this spec and undefined afterwards) besides the lab's own, so the table holds
 * N × (M + the lab's guests) rows, all real. No fixture, no fake host.
 *
 * Size: VIRTDECK_E2E_FLEET_SCALE=<hosts>x<guests>. The default (CI) is 100 × 20: 100 host entries still
 * go through the start-up queue (64 at once) and the shared timer, and 2,500 rows are far more than the
 * ~30 the virtualised table puts in the DOM. The README's figures are from 100 × 100 (10,500 rows):
 *   VIRTDECK_E2E_FLEET_SCALE=100x100 npx playwright test --config tests/playwright.config.ts tests/e2e/fleet-scale.spec.ts
 *
 * It asserts behaviour: every row of every host arrives, searches show exactly the rows they match,
 * each sort click orders the rows on screen, every scroll position shows its rows, and the DOM holds
 * only a window of rows. The timings (keystroke, sort click or scroll → the table committed the new
 * state → the next frame painted, measured with in-page marks) are printed as one JSON line, not
 * asserted: a benchmark prints, a test asserts behaviour. Keystrokes have a second figure beside it,
 * keystroke → the next frame painted (the typed text shown in the box, whether or not the rows are
 * filtered yet); the first stays the one the < 100 ms goal is about: what the user waits for is the rows.
 * The slowest keystrokes and scroll jumps are printed with the long frames during each and the fleet
 * updates applied then (use-fleet's 'virtdeck:fleet-apply' measures).
 *
 * It also prints where the time of the long animation frames (over 50 ms) went while typing, sorting
 * and scrolling (PerformanceObserver 'long-animation-frame': scripts by what invoked them, rendering,
 * style and layout). With VIRTDECK_E2E_FLEET_PROFILE=1 it types the searches once more under Chromium's
 * CPU profiler (after the timed typing, which it does not slow down), prints the functions with the most
 * self time, the app's functions with the most inclusive time and the WebSocket messages received per
 * event name, and keeps the profile (keystrokes.cpuprofile in the test's output folder), and likewise
 * for the scroll jumps (scrolling.cpuprofile); build with
 * `npx electron-vite build --sourcemap` first to read it against the sources.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startOwnServe, type OwnServe } from './own-serve';
import { lab, labInfo, skipReason } from './support';
import { virsh } from '../support/lab';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
// No Playwright trace for this spec: the trace recorder snapshots the page's DOM in the page's main
// thread around every call (each keystroke here is one) and records a screencast, work no user's browser
// does, and it was most of the slowest keystrokes (2026-12-07, the same code: keystroke p90 153 ms with
// the trace at load 4.6–8.9, 45 ms without at load 8.9–10.2). A failure still leaves its screenshot
// and the printed figures.
test.use({ trace: 'off' });

function scale(): { hosts: number; guests: number } {
  const raw = process.env.VIRTDECK_E2E_FLEET_SCALE ?? '100x20';
  const match = /^(\d+)x(\d+)$/.exec(raw);
  const hosts = Number(match?.[1]);
  const guests = Number(match?.[2]);
  // The searches below need hosts scale-000…009 and guests vd-test-scale-000…009.
  if (!match || hosts < 10 || guests < 10 || hosts > 1000 || guests > 1000) {
    throw new Error(`VIRTDECK_E2E_FLEET_SCALE=${raw}: expected <hosts>x<guests>, each 10…1000`);
  }
  return { hosts, guests };
}
const { hosts: HOSTS, guests: GUESTS } = scale();
const PREFIX = 'vd-test-scale-';

const allGuests = () =>
  virsh('list', '--all', '--name')
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n !== '');

function removeGuests(): void {
  const names = allGuests().filter((n) => n.startsWith(PREFIX));
  if (names.length > 0) virsh(names.map((name) => `undefine ${name}`).join(' ; '));
}

let serve: OwnServe | null = null;
let workDir = '';
let tokenUrl = '';
/** Guests on the lab's host A once the throwaway ones are defined: the rows each host entry lists. */
let guestsPerHost = 0;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const info = labInfo();
  removeGuests(); // left by a run that was killed before its afterAll
  workDir = mkdtempSync(join(tmpdir(), 'virtdeck-e2e-scale-'));
  const commands: string[] = [];
  for (let i = 0; i < GUESTS; i++) {
    const name = `${PREFIX}${String(i).padStart(3, '0')}`;
    const file = join(workDir, `${name}.xml`);
    writeFileSync(
      file,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>${64 + (i % 7) * 32}</memory><vcpu>${1 + (i % 4)}</vcpu>` +
        `<os><type arch='x86_64'>hvm</type></os></domain>\n`,
    );
    commands.push(`define ${file}`);
  }
  virsh(commands.join(' ; '));
  guestsPerHost = allGuests().length;
  expect(guestsPerHost).toBeGreaterThanOrEqual(GUESTS);

  // The host entries live only in this spec's own config directory (removed in afterAll).
  const configDir = join(workDir, 'config');
  execFileSync('mkdir', ['-p', configDir]);
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    displayName: `scale-${String(i).padStart(3, '0')}`,
    ssh: {
      user: info.accounts.operator.user,
      host: info.ssh.host,
      port: info.ssh.port,
      identityFile: info.accounts.operator.identityFile,
    },
    libvirtUri: info.libvirtUri,
    transport: 'auto',
    tags: ['scale'],
  }));
  writeFileSync(join(configDir, 'hosts.json'), JSON.stringify({ version: 1, hosts }, null, 2));
  // Its log would be 100 hosts' worth of connection lines.
  serve = await startOwnServe({ configDir, home: workDir, knownHosts: info.ssh.knownHostsFile, stderr: 'ignore' });
  tokenUrl = serve.tokenUrl;
});

// Runs after a failed beforeAll or test too: the serve process, its host entries and the guests go.
test.afterAll(async () => {
  await serve?.stop();
  try {
    removeGuests();
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
  expect(allGuests().filter((n) => n.startsWith(PREFIX))).toEqual([]);
});

interface Timing {
  what: string;
  ms: number;
}

const summary = (timings: Timing[]) => {
  const values = timings.map((t) => t.ms).sort((a, b) => a - b);
  return {
    n: values.length,
    median: Math.round(values[Math.floor(values.length / 2)] ?? 0),
    p90: Math.round(values[Math.floor(values.length * 0.9)] ?? 0),
    max: Math.round(values.at(-1) ?? 0),
  };
};

const shownOf = (text: string | null) => /^(\d+) of (\d+) shown/.exec(text ?? '');

test(`${HOSTS} real hosts × ${GUESTS}+ guests each: every row arrives; search, sort and scroll show the right rows`, async ({ page, browser }, testInfo) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const rows = HOSTS * guestsPerHost;
  const t0 = Date.now();
  await page.goto(tokenUrl);
  const count = page.getByTestId('fleet-count');
  // Every host connected and inventoried: exactly hosts × guests rows.
  await expect(count).toContainText(`${rows} of ${rows} shown`, { timeout: 180_000 });
  const loadedMs = Date.now() - t0;

  // In-page probes: the time from an input event to the next paint after the table shows its result
  // (a setTimeout queued from requestAnimationFrame runs after that frame's paint). A state that never
  // comes fails after 30 s with what it was waiting for.
  await page.evaluate(() => {
    const w = window as unknown as { __vdWait: (done: () => boolean, what: string) => Promise<number> };
    w.__vdWait = (done, what) =>
      new Promise<number>((resolve, reject) => {
        const start = performance.now();
        const check = () => {
          if (done()) requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start)));
          else if (performance.now() - start > 30_000) reject(new Error(`never shown: ${what}`));
          else requestAnimationFrame(check);
        };
        check();
      });
    // Long animation frames, by the phase they fell in; each timed keystroke's start and end.
    const loaf = window as unknown as { __vdPhase: string; __vdLoaf: unknown[]; __vdKeys: unknown[] };
    loaf.__vdPhase = 'loading';
    loaf.__vdLoaf = [];
    loaf.__vdKeys = [];
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as (PerformanceEntry & {
          renderStart: number;
          styleAndLayoutStart: number;
          blockingDuration: number;
          scripts: {
            invoker: string;
            invokerType: string;
            sourceFunctionName: string;
            duration: number;
            forcedStyleAndLayoutDuration: number;
          }[];
        })[]) {
          const end = entry.startTime + entry.duration;
          loaf.__vdLoaf.push({
            phase: loaf.__vdPhase,
            start: entry.startTime,
            duration: entry.duration,
            blocking: entry.blockingDuration,
            render: entry.renderStart > 0 ? end - entry.renderStart : 0,
            styleLayout: entry.styleAndLayoutStart > 0 ? end - entry.styleAndLayoutStart : 0,
            scripts: entry.scripts.map((script) => ({
              invoker: `${script.invokerType}:${script.invoker}`,
              fn: script.sourceFunctionName,
              duration: script.duration,
              forced: script.forcedStyleAndLayoutDuration,
            })),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: false });
    } catch {
      // No long-animation-frame in this browser: the summary says 0 frames.
    }
    // The fleet updates use-fleet applies (it leaves a measure for observers, not in the timeline).
    const applied = window as unknown as { __vdApplies: number[][] };
    applied.__vdApplies = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntriesByName('virtdeck:fleet-apply')) applied.__vdApplies.push([entry.startTime, entry.duration]);
    }).observe({ type: 'measure' });
  });
  const phase = (name: string) => page.evaluate((value) => ((window as unknown as { __vdPhase: string }).__vdPhase = value), name);

  // The rows in the DOM, in order: name, host, vCPUs, and whether the row and its checkbox say selected.
  const rowsOnScreen = () =>
    page.locator('[role="rowgroup"]').evaluate((body) =>
      Array.from(body.querySelectorAll<HTMLElement>('[data-testid="fleet-row"]'))
        .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
        .map((row) => {
          const cells = Array.from(row.querySelectorAll('[role="gridcell"]')).map((cell) => cell.textContent?.trim() ?? '');
          const checkbox = row.querySelector<HTMLInputElement>('input[type="checkbox"]');
          return {
            index: Number(row.dataset.index),
            name: cells[1] ?? '',
            host: cells[2] ?? '',
            vcpus: Number(cells[4]),
            selected: row.getAttribute('aria-selected') === 'true',
            checked: checkbox?.checked ?? false,
          };
        }),
    );

  // Typing: each keystroke until the rows on screen are filtered by the text typed so far.
  const search = page.getByLabel('Search virtual machines');
  const typing: Timing[] = [];
  // The second measure: keystroke → the next frame painted (the typed character shown in the box),
  // however far the rows are by then. The first (`typing`) stays the one the goal is about.
  const echo: Timing[] = [];
  const typeChar = async (key: string) => {
    const { ms, echoMs } = await search.evaluate(async (input: HTMLInputElement, pressed: string) => {
      const area = document.querySelector('[data-testid="fleet-table-area"]');
      const w = window as unknown as {
        __vdWait: (done: () => boolean, what: string) => Promise<number>;
        __vdKeys: { start: number; echo: number; end: number }[];
      };
      const before = input.value;
      const expected = pressed === 'Backspace' ? before.slice(0, -1) : before + pressed;
      // What a real keystroke does to a React-controlled input: set the value, fire `input`.
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(input, expected);
      const start = performance.now();
      const waiting = w.__vdWait(() => area?.getAttribute('data-search') === expected, `rows filtered by "${expected}"`);
      const echoed = new Promise<number>((resolve) =>
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start))),
      );
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const [ms, echoMs] = await Promise.all([waiting, echoed]);
      w.__vdKeys.push({ start, echo: start + echoMs, end: start + ms });
      return { ms, echoMs };
    }, key);
    typing.push({ what: key, ms });
    echo.push({ what: key, ms: echoMs });
  };
  const typeAndClear = async (text: string, expectedRows: number, matches: (row: { name: string; host: string }) => boolean) => {
    for (const key of text) await typeChar(key);
    await expect(count).toContainText(`${expectedRows} of ${rows} shown`);
    const shown = await rowsOnScreen();
    // A short result is in the DOM in full; a long one fills the screen.
    expect(shown.length).toBe(expectedRows <= 20 ? expectedRows : shown.length);
    expect(shown.length).toBeGreaterThanOrEqual(Math.min(expectedRows, 15));
    for (const row of shown) expect(matches(row), `${row.name} on ${row.host} for "${text}"`).toBe(true);
    for (let i = 0; i < text.length; i++) await typeChar('Backspace');
    await expect(count).toContainText(`${rows} of ${rows} shown`);
  };
  const typeSearches = async () => {
    // vd-test-scale-000 … 009 on every host.
    await typeAndClear(`${PREFIX}00`, HOSTS * 10, (row) => /^vd-test-scale-00\d$/.test(row.name));
    // The lab's vd-off-1 and vd-off-2 on hosts scale-000 … 009: words match name or host, all must match.
    await typeAndClear('scale-00 vd-off', 20, (row) => /^vd-off-[12]$/.test(row.name) && /^scale-00\d$/.test(row.host));
  };
  await phase('typing');
  await typeSearches();
  const timedKeystrokes = typing.length;
  let profileTop: unknown = undefined;
  let webSocket: unknown = undefined;
  if (process.env.VIRTDECK_E2E_FLEET_PROFILE === '1') {
    await phase('profiling');
    const cdp = await page.context().newCDPSession(page);
    // What serve mode sends meanwhile: WebSocket messages and bytes per event name.
    const received = new Map<string, { messages: number; bytes: number }>();
    cdp.on('Network.webSocketFrameReceived', ({ response }) => {
      const name = /"name":"([^"]+)"/.exec(response.payloadData.slice(0, 200))?.[1] ?? (response.opcode === 1 ? 'other' : 'binary');
      const entry = received.get(name) ?? { messages: 0, bytes: 0 };
      entry.messages++;
      entry.bytes += response.payloadData.length;
      received.set(name, entry);
    });
    await cdp.send('Network.enable');
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    const profiledFrom = Date.now();
    await cdp.send('Profiler.start');
    await typeSearches();
    const { profile } = await cdp.send('Profiler.stop');
    await cdp.send('Network.disable');
    const seconds = (Date.now() - profiledFrom) / 1000;
    webSocket = Object.fromEntries(
      [...received].map(([name, { messages, bytes }]) => [name, { per_s: +(messages / seconds).toFixed(1), kB_per_s: Math.round(bytes / 1024 / seconds) }]),
    );
    writeFileSync(testInfo.outputPath('keystrokes.cpuprofile'), JSON.stringify(profile));
    profileTop = topSelfTime(profile as CpuProfile, 25);
    typing.splice(timedKeystrokes);
  }

  // Sorting: a click on each sortable header until it shows the new order, both directions; the rows
  // on screen must then be in that order for the columns whose order can be read from their text.
  const collator = new Intl.Collator(undefined, { numeric: true });
  const sorting: Timing[] = [];
  await phase('sorting');
  for (const column of ['Host', 'State', 'vCPUs', 'Memory', 'CPU', 'Name']) {
    for (let round = 0; round < 2; round++) {
      const header = page.getByRole('columnheader', { name: column, exact: true });
      const before = await header.getAttribute('aria-sort');
      const ms = await header.evaluate(async (cell, previous) => {
        const w = window as unknown as { __vdWait: (done: () => boolean, what: string) => Promise<number> };
        const waiting = w.__vdWait(() => cell.getAttribute('aria-sort') !== previous, 'a new sort direction');
        cell.querySelector('button')?.click();
        return waiting;
      }, before);
      sorting.push({ what: `${column}:${round}`, ms });
      const direction = await header.getAttribute('aria-sort');
      expect(direction, column).toBe(before === 'ascending' ? 'descending' : 'ascending');
      const sign = direction === 'descending' ? -1 : 1;
      const shown = await rowsOnScreen();
      expect(shown[0]?.index, `${column}: the table shows its first rows`).toBe(0);
      const key = ({ Host: 'host', vCPUs: 'vcpus', Name: 'name' } as const)[column as 'Host' | 'vCPUs' | 'Name'];
      if (!key) continue;
      for (let i = 1; i < shown.length; i++) {
        const [a, b] = [shown[i - 1], shown[i]];
        if (!a || !b) continue;
        const order = key === 'vcpus' ? a.vcpus - b.vcpus : collator.compare(a[key], b[key]);
        expect(sign * order, `${column} ${direction}: ${JSON.stringify(a)} before ${JSON.stringify(b)}`).toBeLessThanOrEqual(0);
      }
    }
  }

  // Scrolling: jumps through the whole table until the rows for the new position are on screen; only a
  // window of rows is ever in the DOM. Row elements are reused for the rows that come into view (keyed
  // by slot): two rows are selected first, at the positions of the first two jumps, and every jump must
  // show exactly those rows as selected (row and checkbox), wherever their elements were before.
  const scrolling: Timing[] = [];
  const jump = (fraction: number) =>
    page.locator('[role="rowgroup"]').evaluate(async (body, at) => {
      const w = window as unknown as { __vdWait: (done: () => boolean, what: string) => Promise<number> };
      const target = Math.floor((body.scrollHeight - body.clientHeight) * at);
      const index = Math.floor(target / 40);
      const start = performance.now();
      const waiting = w.__vdWait(() => body.querySelector(`[data-index="${index}"]`) !== null, `row ${index}`);
      body.scrollTop = target;
      return { ms: await waiting, rowIndex: index, start };
    }, fraction);
  const selectedRows = new Set<string>();
  for (const fraction of [7 / 20, 14 / 20]) {
    const { rowIndex } = await jump(fraction);
    const row = page.locator(`[data-testid="fleet-row"][data-index="${rowIndex}"]`);
    const cells = await row.getByRole('gridcell').allTextContents();
    await row.getByRole('checkbox').click();
    selectedRows.add(`${cells[1]?.trim()} on ${cells[2]?.trim()}`);
    await expect(count).toContainText(`${selectedRows.size} selected`);
  }
  // The pointer leaves the table, where the sort clicks left it before this selection was added.
  await page.mouse.move(0, 0);
  await page.locator('[role="rowgroup"]').evaluate((body) => (body.scrollTop = 0));
  await phase('scrolling');
  let mostRowsInDom = 0;
  const scrollWindows: KeyWindow[] = [];
  const scrollThrough = async (timings: Timing[], windows: KeyWindow[]) => {
    for (let step = 1; step <= 20; step++) {
      const fraction = ((step * 7) % 20) / 20;
      const { ms, rowIndex, start } = await jump(fraction);
      timings.push({ what: `step ${step}`, ms });
      windows.push({ start, end: start + ms });
      const shown = await rowsOnScreen();
      mostRowsInDom = Math.max(mostRowsInDom, shown.length);
      expect(shown.some((row) => row.index === rowIndex)).toBe(true);
      expect(shown.every((row) => row.name !== '' && row.host.startsWith('scale-'))).toBe(true);
      for (const row of shown) {
        const selected = selectedRows.has(`${row.name} on ${row.host}`);
        expect({ row: `${row.name} on ${row.host}`, selected: row.selected, checked: row.checked }).toEqual({
          row: `${row.name} on ${row.host}`,
          selected,
          checked: selected,
        });
      }
      if (step <= 2) expect(shown.filter((row) => row.selected), `step ${step}`).toHaveLength(1);
    }
  };
  await scrollThrough(scrolling, scrollWindows);
  // With VIRTDECK_E2E_FLEET_PROFILE=1: the same jumps again under the CPU profiler (after the timed ones).
  let scrollProfileTop: unknown = undefined;
  let scrollTimeline: unknown = undefined;
  if (process.env.VIRTDECK_E2E_FLEET_PROFILE === '1') {
    await phase('profiling');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await scrollThrough([], []);
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(testInfo.outputPath('scrolling.cpuprofile'), JSON.stringify(profile));
    scrollProfileTop = topSelfTime(profile as CpuProfile, 25);
    // And once more under Chromium's timeline trace: where the frames' rendering time goes.
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    await scrollThrough([], []);
    const trace = await browser.stopTracing();
    writeFileSync(testInfo.outputPath('scrolling.trace.json'), trace);
    scrollTimeline = timelineSummary(JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] });
  }
  expect(mostRowsInDom).toBeGreaterThan(10);
  expect(mostRowsInDom).toBeLessThan(100);

  const result = {
    hosts: HOSTS,
    rows,
    all_rows_shown_ms: loadedMs,
    keystroke_to_paint_ms: summary(typing),
    keystroke_to_echo_paint_ms: summary(echo),
    sort_click_to_paint_ms: summary(sorting),
    scroll_to_paint_ms: summary(scrolling),
    rows_in_dom_max: mostRowsInDom,
  };
  console.log(`[fleet-scale] ${JSON.stringify(result)}`);
  await phase('done');
  const frames = (await page.evaluate(() => (window as unknown as { __vdLoaf: LongFrame[] }).__vdLoaf)) as LongFrame[];
  for (const name of ['typing', 'sorting', 'scrolling']) {
    console.log(`[fleet-scale] long animation frames while ${name}: ${JSON.stringify(longFrameSummary(frames.filter((f) => f.phase === name)))}`);
  }
  // The slowest keystrokes: the long frames during each, and the fleet updates applied then.
  const keys = (await page.evaluate(() => (window as unknown as { __vdKeys: KeyWindow[] }).__vdKeys)) as KeyWindow[];
  const applies = await page.evaluate(() => (window as unknown as { __vdApplies: number[][] }).__vdApplies);
  console.log(`[fleet-scale] slowest keystrokes: ${JSON.stringify(slowestSteps(keys.slice(0, timedKeystrokes), frames, applies, 8))}`);
  console.log(`[fleet-scale] slowest scroll steps: ${JSON.stringify(slowestSteps(scrollWindows, frames, applies, 5))}`);
  if (profileTop) console.log(`[fleet-scale] CPU profile of the searches typed again, self time: ${JSON.stringify(profileTop)}`);
  if (scrollProfileTop) console.log(`[fleet-scale] CPU profile of the scroll jumps made again, self time: ${JSON.stringify(scrollProfileTop)}`);
  if (scrollTimeline) console.log(`[fleet-scale] timeline of the scroll jumps made a third time: ${JSON.stringify(scrollTimeline)}`);
  if (webSocket) console.log(`[fleet-scale] WebSocket messages received meanwhile, by event: ${JSON.stringify(webSocket)}`);
  expect(errors).toEqual([]);
  expect(shownOf(await count.textContent())?.[2]).toBe(String(rows));
});

interface LongFrame {
  phase: string;
  start: number;
  duration: number;
  blocking: number;
  render: number;
  styleLayout: number;
  scripts: { invoker: string; fn: string; duration: number; forced: number }[];
}

/** A timed step (keystroke, scroll jump) in page time; `echo`: a keystroke's typed text shown. */
interface KeyWindow {
  start: number;
  echo?: number;
  end: number;
}

/**
 * The `count` slowest steps (keystrokes, scroll jumps): their times, the long frames that overlapped each (duration, render,
 * style and layout, scripts by invoker and function) and the fleet updates applied meanwhile (the
 * 'virtdeck:fleet-apply' measures use-fleet leaves: start relative to the keystroke, duration).
 */
function slowestSteps(keys: KeyWindow[], frames: LongFrame[], applies: number[][], count: number) {
  return keys
    .map((key, n) => ({ ...key, n }))
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, count)
    .map((key) => ({
      // Its place in the sequence (0: the first keystroke or jump).
      n: key.n,
      ms: Math.round(key.end - key.start),
      ...(key.echo === undefined ? {} : { echo_ms: Math.round(key.echo - key.start) }),
      frames: frames
        .filter((f) => f.start < key.end && f.start + f.duration > key.start)
        .map((f) => ({
          at: Math.round(f.start - key.start),
          ms: Math.round(f.duration),
          render: Math.round(f.render),
          styleLayout: Math.round(f.styleLayout),
          scripts: f.scripts
            .filter((s) => s.duration >= 5)
            .map((s) => `${s.invoker.replace(/https?:\/\/[^ ]*\//g, '').slice(0, 40)}${s.fn ? ` ${s.fn}` : ''} ${Math.round(s.duration)}`),
        })),
      applies: applies
        .filter(([at = 0, ms = 0]) => at < key.end && at + ms > key.start - 1000)
        .map(([at = 0, ms = 0]) => [Math.round(at - key.start), Math.round(ms)]),
    }));
}

/** Long animation frames: how many, their time, and the script invokers that took most of it. */
function longFrameSummary(frames: LongFrame[]) {
  const byInvoker = new Map<string, number>();
  let forced = 0;
  for (const frame of frames) {
    for (const script of frame.scripts) {
      // Event listeners and callbacks by kind (the React scheduler's message, input events, timers, frames).
      const invoker = script.invoker.replace(/https?:\/\/[^ ]*\//g, '').slice(0, 60);
      byInvoker.set(invoker, (byInvoker.get(invoker) ?? 0) + script.duration);
      forced += script.forced;
    }
  }
  const sum = (pick: (frame: LongFrame) => number) => Math.round(frames.reduce((total, frame) => total + pick(frame), 0));
  return {
    frames: frames.length,
    total_ms: sum((f) => f.duration),
    max_ms: Math.round(Math.max(0, ...frames.map((f) => f.duration))),
    blocking_ms: sum((f) => f.blocking),
    scripts_ms: sum((f) => f.scripts.reduce((total, script) => total + script.duration, 0)),
    render_ms: sum((f) => f.render),
    style_layout_ms: sum((f) => f.styleLayout),
    forced_style_layout_in_scripts_ms: Math.round(forced),
    top_invokers_ms: [...byInvoker].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([invoker, ms]) => [invoker, Math.round(ms)]),
  };
}

interface TraceEvent {
  name: string;
  ph: string;
  dur?: number;
  tid: number;
  args?: { elementCount?: number; beginData?: { dirtyObjects?: number; totalObjects?: number } };
}

/**
 * A timeline trace's main-thread rendering work: per event name (style recalculation, layout, paint,
 * …) its count, total and largest duration, and for style and layout the elements / layout objects
 * they handled (most in one event).
 */
function timelineSummary(trace: { traceEvents: TraceEvent[] }) {
  const names = ['UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'CompositeLayers', 'FunctionCall', 'EventDispatch', 'HitTest', 'ParseHTML'];
  // The renderer's main thread: the one with the most style recalculations.
  const byThread = new Map<number, number>();
  for (const event of trace.traceEvents) if (event.name === 'UpdateLayoutTree') byThread.set(event.tid, (byThread.get(event.tid) ?? 0) + 1);
  const main = [...byThread].sort((a, b) => b[1] - a[1])[0]?.[0];
  const out: Record<string, { n: number; ms: number; max_ms: number; most?: number }> = {};
  for (const event of trace.traceEvents) {
    if (event.tid !== main || event.ph !== 'X' || !names.includes(event.name)) continue;
    const entry = (out[event.name] ??= { n: 0, ms: 0, max_ms: 0 });
    const ms = (event.dur ?? 0) / 1000;
    entry.n++;
    entry.ms += ms;
    entry.max_ms = Math.max(entry.max_ms, ms);
    const objects = event.args?.elementCount ?? event.args?.beginData?.dirtyObjects;
    if (objects !== undefined) entry.most = Math.max(entry.most ?? 0, objects);
  }
  for (const entry of Object.values(out)) {
    entry.ms = Math.round(entry.ms);
    entry.max_ms = Math.round(entry.max_ms);
  }
  return out;
}

interface CpuProfile {
  nodes: { id: number; children?: number[]; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The functions with the most self time in a CPU profile (name, file:line:column, ms, share of samples). */
function topSelfTime(profile: CpuProfile, count: number) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url ? `${basename(frame.url)}:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + ms);
  });
  // Inclusive time of the app's own functions (the renderer's bundle: what a render or an update costs
  // in all, with what it calls), each counted once per sample however deep it recurses.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byNode.get(at)?.callFrame;
      if (!frame?.url.includes('/assets/')) continue;
      const key = `${frame.functionName || '(anonymous)'} ${basename(frame.url)}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  });
  return {
    total_ms: Math.round(total),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, count).map(([fn, ms]) => [fn, Math.round(ms), `${((100 * ms) / total).toFixed(1)}%`]),
    app_inclusive: [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, count).map(([fn, ms]) => [fn, Math.round(ms)]),
  };
}
