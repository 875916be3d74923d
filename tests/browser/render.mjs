// Opens a page that sanso wrote in Debian's headless Chromium, the way a committee
// member's browser would, and reports what a person would notice: console errors,
// scripts that failed, requests that left the machine, and whether the page fits on A4.
// Keeps a full-page screenshot and an A4 PDF beside each other as test artefacts.
//
// usage: node render.mjs PAGE.html SCREENSHOT.png PRINT.pdf
// prints one JSON object on stdout.

import puppeteer from 'puppeteer-core';

const [page_path, screenshot, pdf] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  // Puppeteer's default of 30 s is short for Chromium starting on a busy 2-core machine.
  timeout: 120_000,
});
const problems = [];
try {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`failed request: ${request.url()}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('file:') && !url.startsWith('data:')) {
      problems.push(`network request: ${url}`);
    }
  });
  await page.setViewport({ width: 1024, height: 1400 });
  await page.goto(`file://${page_path}`, { waitUntil: 'load', timeout: 120_000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.emulateMediaType('print');
  // 210 mm less the 12 mm margins either side, at CSS's 96 dpi.
  const printable_width = Math.floor(((210 - 24) / 25.4) * 96);
  await page.setViewport({ width: printable_width, height: 1123 });
  const layout = await page.evaluate(() => ({
    title: document.title,
    headings: [...document.querySelectorAll('h1, h2')].map((h) => h.textContent),
    charts: document.querySelectorAll('svg').length,
    scroll_width: document.documentElement.scrollWidth,
    text: document.body.innerText.length,
  }));
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  console.log(JSON.stringify({ problems, printable_width, ...layout }));
} finally {
  await browser.close();
}
