// How these screenshots were taken (an operator's check of the Web UI, in a real browser):
//   apt-get install chromium fonts-noto-cjk; npm install playwright-core
//   node docs/operator/screenshot.js http://localhost:8233/namespaces/default/workflows/<case id> out.png ["User Metadata"]
const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/lib/chromium/chromium', args: ['--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync','--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1400 } });
  const url = process.argv[2], out = process.argv[3];
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(12000);
  if (process.argv[4]) { const t = page.getByText(process.argv[4]).first(); if (await t.count()) { await t.click(); await page.waitForTimeout(2500); } }
  await page.screenshot({ path: out, fullPage: true });
  await browser.close();
})();
