// Opens the Swagger UI at /docs in headless Chromium with every request to another origin
// refused, checks that the operations are listed, that a try-it-out call succeeds, and that
// the page runs under its Content-Security-Policy without a violation.
// Usage: GAZETTE_URL=http://127.0.0.1:8080 node docs-ui.mjs
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.GAZETTE_URL ?? 'http://127.0.0.1:8080';
const artifacts = process.env.ARTIFACTS_DIR ?? 'artifacts';
mkdirSync(artifacts, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
}

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'gazette-docs-')), {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await context.newPage();
  const offOrigin = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base)) return route.continue();
    offOrigin.push(url);
    return route.abort();
  });
  const violations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });

  const response = await page.goto(`${base}/docs`);
  const csp = (await response.allHeaders())['content-security-policy'] ?? '';
  check(csp.includes("script-src 'self'"), `the docs carry a script policy: '${csp}'`);
  await page.waitForSelector('.opblock', { timeout: 30_000 });
  const operations = await page.locator('.opblock').count();
  check(operations >= 14, `expected every operation listed, found ${operations}`);
  const text = await page.locator('#swagger-ui').innerText();
  for (const path of ['/api/v1/articles', '/api/v1/articles/{slug_or_id}', '/api/v1/tags', '/healthz']) {
    check(text.includes(path), `${path} is listed`);
  }

  // Try it out: list articles, against the server that serves the page.
  const op = page.locator('#operations-articles-listArticles');
  await op.locator('.opblock-summary').click();
  // The server turns try-it-out on by default; older layouts need the button.
  if (!(await op.locator('button.execute').isVisible())) {
    await op.locator('button.try-out__btn').click();
  }
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 30_000 });
  const code = (await status.innerText()).trim();
  check(code === '200', `try-it-out answered ${code}`);
  const body = await op.locator('.live-responses-table .response-col_description pre').first().innerText();
  check(body.includes('"next_cursor"'), 'try-it-out shows the list response');

  await page.screenshot({ path: join(artifacts, 'docs.png'), fullPage: false });
  check(offOrigin.length === 0, `the page asked for other origins: ${offOrigin.join(', ')}`);
  check(violations.length === 0, `the page broke its Content-Security-Policy: ${violations.join(' | ')}`);
  console.log(`docs ui: ok (${operations} operations, try-it-out 200, no off-origin requests, no CSP violation)`);
} finally {
  await context.close();
}
