// The dashboard in a real browser: Debian's headless Chromium driven over the
// DevTools protocol (puppeteer-core), against a nexusd with live traffic.
// usage: node dashboard_browser_test.js HTTP_URL WS_URL TOKEN SCREENSHOT.png
// Checks that the page asks for the token, then that its numbers follow the
// router: sessions appear as autobahn clients join, calls and events count
// up while they call and publish, the charts fill, and sessions go away when
// they leave. Saves a screenshot with traffic on the page (after
// DASHBOARD_HISTORY_SECONDS of it, default 8, for a picture with history).
// Exits 0 when all checks passed.
'use strict';
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws');
const fs = require('fs');
const os = require('os');
const path = require('path');
const autobahn = require('autobahn');
const puppeteer = require('puppeteer-core');

const [httpUrl, wsUrl, token, screenshot] = process.argv.slice(2);
const failures = [];
const check = (name, ok, detail) => { if (!ok) failures.push(`${name}: ${detail}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const historySeconds = Number(process.env.DASHBOARD_HISTORY_SECONDS || 8);
const limitMs = 90000 + historySeconds * 1000;
setTimeout(() => { console.log(`dashboard browser: FAILED timeout after ${limitMs / 1000} s`); process.exit(1); },
  limitMs);

function join(name) {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url: wsUrl, realm: 'realm1', max_retries: 0,
      serializers: [new autobahn.serializer.JSONSerializer()],
    });
    connection.onopen = (session) => resolve({ connection, session, name });
    connection.onclose = (reason) => { reject(new Error(`${name}: ${reason}`)); return true; };
    connection.open();
  });
}

// The number a tile shows ("1.2k" counts as 1200), or NaN.
async function tileNumber(page, id) {
  const text = await page.$eval('#' + id, (e) => e.textContent.trim());
  const m = /^([\d.]+)([kMG]?)/.exec(text);
  if (!m) return NaN;
  return parseFloat(m[1]) * ({ k: 1e3, M: 1e6, G: 1e9 }[m[2]] || 1);
}

async function waitFor(what, condition, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await condition();
    if (last === true) return true;
    await sleep(200);
  }
  check(what, false, `not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
  return false;
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run',
           '--user-data-dir=' + profile],
  });
  const clients = [];
  let pumping = true;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 1000 });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(httpUrl + '/', { waitUntil: 'load' });

    // First visit: the token form.
    await page.waitForSelector('#overlay.shown', { timeout: 5000 });
    await page.type('#token-input', 'not-the-token');
    await page.click('#token-form button');
    await waitFor('a wrong token is refused', async () =>
      page.$eval('#overlay', (e) => e.classList.contains('shown')));
    await page.type('#token-input', token);
    await page.click('#token-form button');
    await waitFor('the page reads the API with the token', async () =>
      (await page.$eval('#readiness', (e) => e.textContent)) === 'ready' || 'not ready yet');
    check('token kept in the session', await page.evaluate(
      () => sessionStorage.getItem('nexusd-admin-token')) === token, 'not in sessionStorage');
    await waitFor('no sessions at first', async () =>
      (await tileNumber(page, 'sessions-total')) === 0 || await tileNumber(page, 'sessions-total'));
    const callsBefore = await page.evaluate(() => previous && previous.calls.started);

    // Traffic: a callee, a caller calling it, a subscriber, a publisher.
    const callee = await join('callee');
    const caller = await join('caller');
    const subscriber = await join('subscriber');
    clients.push(callee, caller, subscriber);
    await callee.session.register('com.dashboard.echo', (args) => args);
    await subscriber.session.subscribe('com.dashboard.ticks', () => {});
    const pump = (async () => {
      for (let i = 0; pumping; i++) {
        await caller.session.call('com.dashboard.echo', [i]);
        caller.session.publish('com.dashboard.ticks', [i]);
        // A rate that wanders, so that the charts show something.
        await sleep(3 + 6 * (1 + Math.sin(i / 150)));
      }
    })();

    await waitFor('sessions appear', async () => (await tileNumber(page, 'sessions-total')) === 3 ||
      await tileNumber(page, 'sessions-total'));
    await waitFor('calls per second show', async () => (await tileNumber(page, 'calls-rate')) > 0 ||
      await tileNumber(page, 'calls-rate'));
    await waitFor('events per second show', async () => (await tileNumber(page, 'events-rate')) > 0 ||
      await tileNumber(page, 'events-rate'));
    await waitFor('latency shows', async () =>
      /^[\d.]+ \/ [\d.]+$/.test(await page.$eval('#latency', (e) => e.textContent)) ||
      await page.$eval('#latency', (e) => e.textContent));
    const callsLater = await page.evaluate(() => previous.calls.started);
    check('calls count up', callsLater > callsBefore, `${callsBefore} -> ${callsLater}`);
    await waitFor('the sessions table lists them', async () =>
      (await page.$$eval('#sessions tr', (rows) => rows.length)) === 3 ||
      await page.$$eval('#sessions tr', (rows) => rows.length));
    await waitFor('registrations listed', async () =>
      (await page.$eval('#registrations', (e) => e.textContent)).includes('com.dashboard.echo'));
    await waitFor('subscriptions listed', async () =>
      (await page.$eval('#subscriptions', (e) => e.textContent)).includes('com.dashboard.ticks'));
    // A few seconds of history for the charts, then the picture.
    await waitFor('charts have history', async () =>
      (await page.evaluate(() => samples.length)) >= historySeconds ||
      await page.evaluate(() => samples.length), 15000 + historySeconds * 1000);
    const chartPainted = await page.$eval('#chart-messages', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) lit++;
      return lit;
    });
    check('the message chart is drawn', chartPainted > 1000, `${chartPainted} pixels`);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });

    pumping = false;
    await pump;
    for (const c of clients) c.connection.close();
    clients.length = 0;
    await waitFor('sessions go away', async () => (await tileNumber(page, 'sessions-total')) === 0 ||
      await tileNumber(page, 'sessions-total'));
    check('no script errors on the page', pageErrors.length === 0, pageErrors.join('; '));
  } finally {
    pumping = false;
    for (const c of clients) try { c.connection.close(); } catch (e) { /* closing anyway */ }
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => {
  if (failures.length) {
    for (const f of failures) console.log('dashboard browser: FAILED ' + f);
    process.exit(1);
  }
  console.log('dashboard browser: all checks passed' + (screenshot ? ` (screenshot ${screenshot})` : ''));
  process.exit(0);
}, (e) => { console.log('dashboard browser: FAILED ' + (e && e.stack || e)); process.exit(1); });
