/**
 * `npm run bench:certificate`: how fast and how small our certificates are next to headless
 * Chromium printing the equivalent HTML (bench/certificate-html.ts), and whether every party name
 * survives text extraction. Goal: >= 20x faster than a warm Chromium page, <= 1/3 of its size.
 * Writes bench/out/certificate.md and .json, plus each sample PDF (and the HTML) to compare by eye.
 *
 * With `--first-call <case>` this file is the child process: a fresh Node imports the renderer and
 * renders once, so font parsing and HarfBuzz/WASM start-up are in the number.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pdfAnatomy, type Anatomy } from './pdf-anatomy.ts';
import { CASES, certificateHtml, certificateInput, nativeNames, type CaseName } from './certificate-html.ts';
import type { CertificateInput } from '#shared/certificate/render.ts';

const N = 30; // timed warm renders per certificate and engine
/**
 * Untimed renders before the timed ones, per engine: each is timed once its times have settled.
 * Ours run on V8, whose optimizing compiler takes about a hundred renders to settle (renders 2-6
 * take about twice as long as renders 100 on, 7-16 about a fifth longer); Chromium's prints settle
 * after the first. The report shows the warm-up's times too (see rampCells).
 */
const WARMUP = { concord: 100, chromium: 5 };
const K = 5; // fresh processes (or browser launches) per certificate for the first call
const CHROMIUM = '/usr/bin/chromium';
const SELF = fileURLToPath(import.meta.url);
const ROOT = dirname(dirname(SELF));
const OUT = join(ROOT, 'bench', 'out');

/** A first call: its times, and the memory the engine's processes hold once its first PDF is out (MB, PSS). */
interface FirstCall { renderMs: number; processMs: number; importMs?: number; memoryMb: number }
/** Names that come back exactly, per extractor: [exact, of]. */
interface Names { names: [number, number]; missing: string[]; pdfium: [number, number]; pdfiumMissing: string[]; pdfjs: [number, number]; pdfjsMissing: string[] }
/** One engine's timings for one case, with its last PDF: analysed only after every timing is taken. */
interface Timed { engine: string; first: FirstCall[]; ramp: number[]; warm: number[]; size: number; pdf: Uint8Array; file: string; names: string[] }
interface Result extends Names, Omit<Timed, 'pdf' | 'file' | 'names'> { fonts: string[]; anatomy: Anatomy }

if (process.argv[2] === '--first-call') {
  const input = certificateInput(process.argv[3] as CaseName); // not timed: signing is not rendering
  const t0 = performance.now();
  const { renderCertificate } = await import('#shared/certificate/render.ts');
  const t1 = performance.now();
  const pdf = await renderCertificate(input);
  const t2 = performance.now();
  // performance.now() counts from process start, so t2 is the process-level time to the first PDF.
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, renderMs: t2 - t1, processMs: t2, size: pdf.length, memoryMb: pssMb([process.pid]) }));
  process.exit(0);
}

const ms = (t0: number) => performance.now() - t0;

/** `render` run `warmup` times untimed (their times kept as the ramp), then N times timed. */
async function timedRuns(warmup: number, render: () => Promise<unknown>): Promise<{ ramp: number[]; warm: number[] }> {
  const ramp: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < warmup + N; i++) {
    const t0 = performance.now();
    await render();
    (i < warmup ? ramp : warm).push(ms(t0));
  }
  return { ramp, warm };
}

/**
 * The memory `pids` hold together, in MB: the sum of their proportional set sizes (Linux's PSS, a
 * page shared by n processes counting 1/n in each), so that Chromium's processes sharing a zygote's
 * pages are not counted once per process. Shared pages are split with every process mapping them,
 * other programs' too, so on a busy machine the figure moves by a few MB. NaN where /proc cannot tell.
 */
function pssMb(pids: number[]): number {
  let kb = 0;
  let read = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
      read++;
    } catch { /* gone, or not Linux */ }
  }
  return read > 0 ? kb / 1024 : NaN;
}

/**
 * The processes under `root` whose program is Chromium (its zygote, renderers and services). Its
 * crash reporter (chrome_crashpad_handler, about 3 MB) detaches from the tree and is not counted.
 */
function chromiumProcesses(root: number): number[] {
  const parents = new Map<number, number>();
  const programs = new Map<number, string>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      // The parent pid is the 4th field of stat, after the command name in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      programs.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0] ?? '');
    } catch { /* exited meanwhile */ }
  }
  const under = (pid: number): boolean => { const parent = parents.get(pid); return parent === root || (parent !== undefined && parent > 1 && under(parent)); };
  return [...parents.keys()].filter((pid) => under(pid) && /chrom/.test(programs.get(pid) ?? ''));
}
function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  return { median: s.length % 2 ? at(0.5) : ((s[s.length / 2 - 1] ?? NaN) + (s[s.length / 2] ?? NaN)) / 2, p95: at(0.95) };
}

/**
 * How many names come back exactly (what a person copying text or a search index sees): from
 * `pdftotext -layout` (poppler), from PDFium (Chrome's viewer) as a line of their own, and from
 * pdf.js (Firefox's viewer) as one text item.
 */
async function namesExact(pdf: Uint8Array, names: string[]): Promise<Names> {
  const { pdfiumLines, pdfjsItems, pdfToText } = await import('../tests/support/pdf-text.ts'); // not in the first-call child's start-up
  const text = pdfToText(pdf);
  const missing = names.filter((n) => !text.includes(n.normalize('NFC')));
  const lines = await pdfiumLines(pdf);
  const pdfiumMissing = names.filter((n) => !lines.includes(n.normalize('NFC')));
  const items = await pdfjsItems(pdf);
  const pdfjsMissing = names.filter((n) => !items.includes(n.normalize('NFC')));
  const count = (gone: string[]): [number, number] => [names.length - gone.length, names.length];
  return { names: count(missing), missing, pdfium: count(pdfiumMissing), pdfiumMissing, pdfjs: count(pdfjsMissing), pdfjsMissing };
}

/** Embedded font names without the subset tag, to spot a system fallback font (tofu's cousin). */
const fontsOf = (file: string) => [...new Set(execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2)
  .map((l) => l.split(/\s+/)[0]?.replace(/^[A-Z]{6}\+/, '') ?? '').filter(Boolean))].sort();

function samplePdf(name: CaseName, engine: string, pdf: Uint8Array): string {
  const file = join(OUT, `certificate-${name}.${engine}.pdf`);
  writeFileSync(file, pdf);
  return file;
}

async function concord(name: CaseName, input: CertificateInput): Promise<Timed> {
  const { renderCertificate } = await import('#shared/certificate/render.ts');
  // Warm-up: fonts parsed, HarfBuzz instantiated, then the JIT settled (see WARMUP).
  let pdf = await renderCertificate(input);
  const { ramp, warm } = await timedRuns(WARMUP.concord, async () => { pdf = await renderCertificate(input); }); // directly: no memoizing cache in the way
  const first: FirstCall[] = [];
  for (let i = 0; i < K; i++) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--first-call', name], { cwd: ROOT, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`first-call child failed: ${child.stderr}`);
    first.push(JSON.parse(child.stdout) as FirstCall);
  }
  const file = samplePdf(name, 'concord', pdf);
  return { engine: 'Concord (pdf-lib + HarfBuzz)', first, ramp, warm, size: pdf.length, pdf, file, names: nativeNames(input) };
}

/** Text extraction and anatomy of a timed run's PDF (PDFium's WASM and poppler stay out of the timings). */
async function analysed({ pdf, file, names, ...timed }: Timed): Promise<Result> {
  return { ...timed, ...(await namesExact(pdf, names)), fonts: fontsOf(file), anatomy: await pdfAnatomy(pdf) };
}

const LAUNCH = {
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};
const PDF = { format: 'A4', landscape: true, printBackground: true } as const;
// A string, as this project compiles without the DOM lib; resolves once every @font-face in use has loaded.
const fontsReady = (page: { evaluate(expression: string): Promise<unknown> }) => page.evaluate('document.fonts.ready.then(() => true)');

/** Chromium on the same certificates: K cold launches each, then one browser and one page reused for all warm prints. */
async function chromiumRuns(inputs: Map<CaseName, CertificateInput>): Promise<{ version: string; results: Map<CaseName, Timed> } | undefined> {
  if (!existsSync(CHROMIUM)) {
    console.log(`\n!! ${CHROMIUM} not found: skipping the Chromium columns (apt-get install -y chromium to compare).\n`);
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  const pages = new Map<CaseName, { html: string; url: string; names: string[] }>();
  for (const name of CASES) {
    const input = inputs.get(name)!;
    const html = await certificateHtml(input);
    // A file:// document, so its file:// @font-face URLs load; also kept as a sample for people.
    const file = join(OUT, `certificate-${name}.html`);
    writeFileSync(file, html);
    pages.set(name, { html, url: pathToFileURL(file).href, names: nativeNames(input) });
  }
  const first = new Map<CaseName, FirstCall[]>(CASES.map((c) => [c, []]));
  let version = '';
  for (let i = 0; i < K; i++) {
    for (const name of CASES) {
      const t0 = performance.now();
      const browser = await chromium.launch(LAUNCH);
      const t1 = performance.now();
      const page = await browser.newPage();
      await page.goto(pages.get(name)!.url);
      await fontsReady(page);
      await page.pdf(PDF);
      first.get(name)!.push({ renderMs: ms(t1), processMs: ms(t0), memoryMb: pssMb(chromiumProcesses(process.pid)) });
      version = browser.version();
      await browser.close();
    }
  }
  const browser = await chromium.launch(LAUNCH);
  const results = new Map<CaseName, Timed>();
  try {
    const page = await browser.newPage();
    await page.goto(pages.get(CASES[0])!.url); // gives the page a file:// origin for setContent below
    for (const name of CASES) {
      const { html, names } = pages.get(name)!;
      const print = async () => {
        await page.setContent(html);
        await fontsReady(page);
        return page.pdf(PDF);
      };
      let pdf = await print(); // warm-up
      const { ramp, warm } = await timedRuns(WARMUP.chromium, async () => { pdf = await print(); });
      const file = samplePdf(name, 'chromium', pdf);
      results.set(name, { engine: `Chromium ${version} (playwright)`, first: first.get(name)!, ramp, warm, size: pdf.length, pdf, file, names });
    }
  } finally {
    await browser.close();
  }
  return { version, results };
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const f0 = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const megabytes = (xs: number[]) => { const { median } = stats(xs); return Number.isFinite(median) ? f0(median) : 'n/a'; };
/** Medians of the warm-up's stretches (renders 2-6, 7-16, 17-36, 37 on), each labelled by its render numbers. */
const rampCells = (ramp: number[]) => [[0, 5], [5, 15], [15, 35], [35, Infinity]]
  .filter(([from]) => from! < ramp.length)
  .map(([from, to]) => { const part = ramp.slice(from, to); return `${from! + 2}-${from! + 1 + part.length}: ${f0(stats(part).median)}`; })
  .join(' · ');
const pair = (xs: number[]) => { const s = stats(xs); return `${f0(s.median)} / ${f0(s.p95)}`; };

async function main() {
  const started = performance.now();
  mkdirSync(OUT, { recursive: true });
  const timed = new Map<CaseName, Timed>();
  // One signed input per case, for both engines: the same verification URL, so the same QR code.
  const inputs = new Map(CASES.map((name) => [name, certificateInput(name)] as const));
  for (const name of CASES) timed.set(name, await concord(name, inputs.get(name)!));
  const chromium = await chromiumRuns(inputs);
  // Every timing is taken: now the extractors and the anatomy.
  const ours = new Map<CaseName, Result>();
  for (const [name, run] of timed) ours.set(name, await analysed(run));
  const chrome = chromium && { version: chromium.version, results: new Map<CaseName, Result>() };
  for (const [name, run] of chromium?.results ?? []) chrome!.results.set(name, await analysed(run));

  const rows = ['| case | engine | first call median / p95 ms | process → first PDF median / p95 ms | memory after first PDF, median MB | warm median / p95 ms | size KB | names exact: pdftotext · PDFium · pdf.js | speedup vs warm Chromium | size ratio |',
    '|---|---|---|---|---|---|---|---|---|---|'];
  const verdicts: string[] = [];
  const anatomy = ['| case | engine | file KB | font programs KB | of which outlines (glyf, deflate -9) KB | page content KB | other KB |',
    '|---|---|---|---|---|---|---|'];
  const floors: string[] = [];
  const notes: string[] = [];
  const ramps = ['| case | engine | warm-up renders, median ms (render number: the first is 1) | timed |', '|---|---|---|---|'];
  for (const name of CASES) {
    const us = ours.get(name)!;
    const them = chrome?.results.get(name);
    const speedup = them ? stats(them.warm).median / stats(us.warm).median : NaN;
    const ratio = them ? us.size / them.size : NaN;
    for (const r of [us, them]) {
      if (!r) continue;
      const mine = r === us;
      rows.push(`| ${name} | ${r.engine} | ${pair(r.first.map((x) => x.renderMs))} | ${pair(r.first.map((x) => x.processMs))} | ${megabytes(r.first.map((x) => x.memoryMb))} | ${pair(r.warm)} | ${kb(r.size)} | ${r.names[0]}/${r.names[1]} · ${r.pdfium[0]}/${r.pdfium[1]} · ${r.pdfjs[0]}/${r.pdfjs[1]} | ${mine && them ? `${speedup.toFixed(1)}x` : them ? '1x' : 'n/a'} | ${mine && them ? ratio.toFixed(2) : them ? '1' : 'n/a'} |`);
      ramps.push(`| ${name} | ${r.engine} | ${rampCells(r.ramp)} | ${r.ramp.length + 2}-${r.ramp.length + 1 + r.warm.length}: ${f0(stats(r.warm).median)} |`);
      const strays = r.fonts.filter((font) => !font.startsWith('Noto'));
      if (strays.length) notes.push(`${name} / ${r.engine}: embeds non-Noto fonts (fallback): ${strays.join(', ')}`);
      if (r.names[0] < r.names[1]) notes.push(`${name} / ${r.engine}: only ${r.names[0]} of ${r.names[1]} names come back exactly from pdftotext; not: ${r.missing.join(', ')}`);
      if (r.pdfium[0] < r.pdfium[1]) notes.push(`${name} / ${r.engine}: only ${r.pdfium[0]} of ${r.pdfium[1]} names come back from PDFium exactly, as a line of their own; not: ${r.pdfiumMissing.join(', ')}`);
      if (r.pdfjs[0] < r.pdfjs[1]) notes.push(`${name} / ${r.engine}: only ${r.pdfjs[0]} of ${r.pdfjs[1]} names come back from pdf.js exactly, as one text item; not: ${r.pdfjsMissing.join(', ')}`);
    }
    for (const r of [us, them]) {
      if (!r) continue;
      const { total, fonts, outlines, content } = r.anatomy;
      anatomy.push(`| ${name} | ${r.engine} | ${kb(total)} | ${kb(fonts)} | ${kb(outlines)} | ${kb(content)} | ${kb(total - fonts - content)} |`);
    }
    if (them) {
      const floor = us.anatomy.outlines / them.size;
      floors.push(`- ${name}: the outlines of the glyphs drawn take ${kb(us.anatomy.outlines)} KB even deflated at level 9, ` +
        `${(100 * floor).toFixed(0)}% of Chromium's whole file (${kb(them.size)} KB), against a goal of 33% (${kb(them.size / 3)} KB) for everything.`);
    }
    if (!them) { verdicts.push(`- ${name}: no Chromium to compare against (goal not checked).`); continue; }
    const fast = speedup >= 20;
    const small = ratio <= 1 / 3;
    const right = [us.names, us.pdfium, us.pdfjs].every(([ok, of]) => ok === of);
    verdicts.push(`- ${name}: ${fast && small && right ? 'MEETS' : 'DOES NOT MEET'} the goal: ${speedup.toFixed(1)}x faster than warm Chromium (goal >= 20x: ${fast ? 'yes' : 'no'}), ` +
      `${(100 * ratio).toFixed(0)}% of its size (goal <= 33%: ${small ? 'yes' : 'no'}), names exact ${us.names[0]}/${us.names[1]} in pdftotext, ${us.pdfium[0]}/${us.pdfium[1]} in PDFium, ${us.pdfjs[0]}/${us.pdfjs[1]} in pdf.js (${right ? 'yes' : 'no'}).`);
  }
  const seconds = ms(started) / 1000;
  const md = [`# Certificate render benchmark`, '',
    `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? '?'} × ${cpus().length} · ${chrome ? `Chromium ${chrome.version}` : 'no Chromium'} · N=${N} timed warm renders after a warm-up (below), K=${K} first calls · took ${seconds.toFixed(0)} s`, '',
    'First call: ours = first renderCertificate() in a fresh `node --import tsx` (font parsing, HarfBuzz WASM included; import of the renderer excluded),',
    'Chromium = new page + load + first page.pdf() right after launch. "process → first PDF": from process start (ours) / from launch() (Chromium).',
    'Warm: ours = renderCertificate() again in one process; Chromium = setContent + document.fonts.ready + page.pdf() on one reused page.',
    'Memory: the proportional set size (PSS) of the engine\'s processes once the first PDF is out: ours, the one Node process (tsx\'s loader in it,',
    'not the esbuild service it starts, about 7 MB); Chromium, the processes of the browser (main, zygote, renderer, services; not its crash reporter, about 3 MB).', '',
    ...rows, '', '## Verdict', '', ...verdicts, '',
    '## Warming up', '',
    `Each engine is timed once its times have settled: ${WARMUP.concord} untimed renders first for ours (V8's optimizing compiler settles slowly), ${WARMUP.chromium} for Chromium.`, '',
    ...ramps, '',
    '## Where the bytes go', '', ...anatomy, '',
    'Both engines embed subsets of the same Noto TrueType fonts for the same glyphs. The outlines of those glyphs',
    '(their `glyf` data, deflated at the highest level) are a floor no TrueType embedding can go below:', '', ...floors, ...(notes.length ? ['', '## Notes', '', ...notes.map((n) => `- ${n}`)] : []), ''].join('\n');
  console.log(`\n${md}`);
  writeFileSync(join(OUT, 'certificate.md'), md);
  const json = { at: new Date().toISOString(), node: process.version, chromium: chrome?.version ?? null, N, K, WARMUP, seconds,
    cases: Object.fromEntries(CASES.map((c) => [c, { concord: ours.get(c), chromium: chrome?.results.get(c) ?? null }])) };
  writeFileSync(join(OUT, 'certificate.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${join('bench', 'out', 'certificate.md')}, certificate.json and the sample PDFs`);
}

await main();
