// Loads `policylens report` pages in a real headless browser (Debian's
// chromium driven by playwright-core; no browser is downloaded) and checks
// the chart, the coverage matrix, the per-policy view and its label filter.
//
//   node test.mjs REPORT.html [REPORT_1000.html]
//
// Screenshots go to $SHOTS_DIR (default: target/browser).
import { chromium } from "playwright-core";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [report, bigReport] = process.argv.slice(2);
if (!report) {
  console.error("usage: node test.mjs REPORT.html [REPORT_1000.html]");
  process.exit(2);
}
const shots = process.env.SHOTS_DIR || "target/browser";
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

/** The data blob, read straight from the file: what the page should show. */
function blobOf(file) {
  const html = readFileSync(file, "utf8");
  const m = html.match(/<script type="application\/json" id="data">([\s\S]*?)<\/script>/);
  assert.ok(m, `${file}: no data blob`);
  return JSON.parse(m[1]);
}

/** Share of policies with >= 1 clause predicted with each label, from the clauses. */
function prevalence(data) {
  return data.labels.map((_, j) => {
    const n = data.docs.filter((d) => d[6].some((c) => c[2].includes(j))).length;
    return data.docs.length ? n / data.docs.length : 0;
  });
}

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});
after(async () => {
  await browser?.close();
});

/** Open a report; every console error, page error, failed or non-file request is a problem. */
async function open(file) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) problems.push(`network request: ${r.url()}`);
  });
  // A script error stops rendering: report it at once rather than time out.
  const broken = new Promise((_, reject) =>
    page.once("pageerror", (e) => reject(new Error(`the report's script failed: ${e.message}`))),
  );
  broken.catch(() => {});
  const started = Date.now();
  await page.goto(pathToFileURL(path.resolve(file)).href);
  await Promise.race([page.waitForSelector("html[data-ready='1']", { timeout: 30_000 }), broken]);
  return { page, problems, ms: Date.now() - started };
}

const rows = (page) => page.locator("#matrix tbody tr[data-doc]");

/** Wait until the policy view shows `n` clauses (it re-renders on hashchange, asynchronously). */
const shown = (page, n) =>
  page.waitForFunction((k) => document.querySelectorAll("#clauses li.clause").length === k, n, { timeout: 5_000 });

test("overview: one bar per label with the right share, and a matrix row per policy", async () => {
  const data = blobOf(report);
  const { page, problems } = await open(report);
  const bars = page.locator("#prevalence .bar");
  assert.equal(await page.locator("#prevalence[role=img]").count(), 1, "the chart is an SVG with role=img");
  assert.equal(await bars.count(), data.labels.length, "one bar per label");
  const shares = prevalence(data);
  for (let j = 0; j < data.labels.length; j++) {
    const bar = bars.nth(j);
    assert.equal(await bar.getAttribute("data-label"), data.labels[j]);
    const text = await bar.locator("text.value").textContent();
    const want = `${Math.round(shares[j] * 100)}%`;
    assert.ok(text.startsWith(want), `${data.labels[j]}: bar says "${text}", expected ${want}`);
    const width = Number(await bar.locator("rect.fill").getAttribute("width"));
    assert.ok(Math.abs(width - shares[j] * 420) <= 1, `${data.labels[j]}: bar width ${width}`);
  }
  const pageSize = Math.min(data.page, data.docs.length);
  assert.equal(await rows(page).count(), pageSize, "first page of the matrix");
  assert.equal(await page.locator("#matrix thead th.label").count(), data.labels.length);
  await page.screenshot({ path: path.join(shots, "report-overview.png"), fullPage: true });

  // Clicking a bar lists the policies that miss the label.
  const j = shares.findIndex((s) => s > 0 && s < 1);
  const pick = j >= 0 ? j : 0;
  const missing = data.docs.filter((d) => d[4][pick] === 0).length;
  await bars.nth(pick).click();
  assert.equal(await page.locator("#missing-filter").inputValue(), String(pick));
  assert.equal(await rows(page).count(), Math.min(missing, data.page), `policies missing ${data.labels[pick]}`);
  for (const cell of await page.locator(`#matrix tbody td.cell[data-label="${data.labels[pick]}"]`).all()) {
    assert.match(await cell.getAttribute("class"), /\bmiss\b/);
  }
  await bars.nth(pick).click();
  assert.equal(await rows(page).count(), pageSize, "clicking the bar again clears the filter");
  assert.deepEqual(problems, []);
  await page.close();
});

test("policy view: clauses in order, label chips with scores, and the label filter", async () => {
  const data = blobOf(report);
  const { page, problems } = await open(report);
  // The policy with the most clauses among those on the first page.
  await page.selectOption("#sort", "clauses-desc");
  const first = rows(page).first();
  const docId = await first.getAttribute("data-doc");
  const doc = data.docs.find((d) => d[0] === docId);
  await first.locator("a").click();
  await page.waitForSelector("#policy:not([hidden]) #clauses");
  assert.ok(await page.locator("#overview").isHidden(), "the overview is hidden");
  assert.equal(await page.locator("#policy-title").textContent(), doc[1]);
  const clauses = page.locator("#clauses li.clause");
  const all = await clauses.count();
  assert.equal(all, doc[6].length, "every clause is shown");
  const positions = await clauses.evaluateAll((els) => els.map((e) => Number(e.dataset.position)));
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b), "document order");
  const chipText = await page.locator("#clauses .chip").first().textContent();
  assert.match(chipText, /^[a-z_]+ [01]\.\d\d$/, `a chip reads "label score": ${chipText}`);
  await page.screenshot({ path: path.join(shots, "report-policy.png"), fullPage: true });

  // Filter by the label that keeps the fewest clauses (but some).
  const counts = doc[4];
  const j = counts.reduce((best, n, k) => (n > 0 && (best < 0 || n < counts[best]) ? k : best), -1);
  assert.ok(j >= 0, "the policy has a labeled clause");
  const label = data.labels[j];
  await page.selectOption("#label-filter", label);
  await page.waitForFunction((l) => new URLSearchParams(location.hash.slice(1)).get("label") === l, label);
  await shown(page, counts[j]);
  const kept = await clauses.count();
  assert.equal(kept, counts[j], `clauses labeled ${label}`);
  assert.ok(kept < all, `the filter drops clauses (${kept} of ${all})`);
  for (const labels of await clauses.evaluateAll((els) => els.map((e) => e.dataset.labels.split(" ")))) {
    assert.ok(labels.includes(label), `a shown clause lacks ${label}: ${labels}`);
  }
  assert.match(await page.locator("#clause-count").textContent(), new RegExp(`Showing ${kept} of ${all}`));
  await page.screenshot({ path: path.join(shots, "report-policy-filtered.png"), fullPage: true });

  // Clicking the active chip clears the filter; clicking another chip sets it.
  await page.locator(`#clauses .chip.active[data-label="${label}"]`).first().click();
  await page.waitForFunction(() => !location.hash.includes("label="));
  await shown(page, all);
  const other = await page.locator("#clauses .chip").first().getAttribute("data-label");
  await page.locator("#clauses .chip").first().click();
  await page.waitForFunction((l) => location.hash.includes(`label=${l}`), other);
  await shown(page, doc[4][data.labels.indexOf(other)]);
  for (const labels of await clauses.evaluateAll((els) => els.map((e) => e.dataset.labels.split(" ")))) {
    assert.ok(labels.includes(other));
  }
  // Back to the overview.
  await page.locator("a.back").click();
  await page.waitForSelector("#overview:not([hidden])");
  assert.equal(await page.locator("#policy").isHidden(), true);
  assert.deepEqual(problems, []);
  await page.close();
});

test("1,000 policies: the first page renders, pages and search work, a policy opens", { skip: !bigReport }, async () => {
  const data = blobOf(bigReport);
  assert.ok(data.docs.length > data.page, "more policies than one page");
  const { page, problems, ms } = await open(bigReport);
  console.log(`# ${data.docs.length} readable policies: loaded and rendered in ${ms} ms`);
  assert.equal(await rows(page).count(), data.page, "one page of rows, not all of them");
  assert.equal(await page.locator("#clauses").count(), 0, "no policy is rendered up front");
  const pages = Math.ceil(data.docs.length / data.page);
  assert.match(await page.locator("#page-info").textContent(), new RegExp(`Page 1 of ${pages}`));
  const before = await rows(page).first().getAttribute("data-doc");
  await page.click("#next");
  assert.match(await page.locator("#page-info").textContent(), new RegExp(`Page 2 of ${pages}`));
  assert.notEqual(await rows(page).first().getAttribute("data-doc"), before);
  assert.ok((await rows(page).count()) <= data.page);
  await page.screenshot({ path: path.join(shots, "report-1000.png") });
  const target = data.docs[Math.floor(data.docs.length / 2)];
  await page.fill("#search", target[2]);
  assert.equal(await rows(page).count(), 1, "search by path");
  await rows(page).first().locator("a").click();
  await page.waitForSelector("#policy:not([hidden]) #clauses");
  assert.equal(await page.locator("#clauses li.clause").count(), target[6].length);
  assert.deepEqual(problems, []);
  await page.close();
});
