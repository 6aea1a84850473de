import { chromium } from 'playwright-core';
const [url, out, width, lang] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const p = await b.newPage({ viewport: { width: Number(width), height: 700 }, locale: lang ?? 'en' });
await p.goto(url!); await p.screenshot({ path: out!, fullPage: true }); await b.close();
