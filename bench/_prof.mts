import { certificateInput } from './certificate-html.ts';
import { renderCertificate } from '#shared/certificate/render.ts';
const name = (process.argv[2] ?? '18-states') as any;
const input = certificateInput(name);
for (let i = 0; i < 120; i++) await renderCertificate(input);
const t: number[] = [];
for (let i = 0; i < Number(process.argv[3] ?? 100); i++) { const t0 = performance.now(); await renderCertificate(input); t.push(performance.now() - t0); }
t.sort((a, b) => a - b);
console.log(name, 'min', t[0].toFixed(1), 'med', t[t.length >> 1].toFixed(1), 'p95', t[Math.floor(t.length * 0.95)].toFixed(1));
const PH = (globalThis as any).PH; const n = 120 + Number(process.argv[3] ?? 100);
console.log(Object.fromEntries(Object.entries(PH).map(([k, v]) => [k, ((v as number) / n).toFixed(2)])));
