// Browser check of the built book (run `cargo book` first):
//   node browser-check/check.mjs [book/build]
// Opens every page in headless Chromium and checks, as a reader would:
//  - every quick check answers correctly when clicked: each wrong option says
//    "Not quite", the right one says "Right!", short answers accept what the
//    quiz accepts and refuse nonsense;
//  - every chapter page has a quick check, and the pages that show
//    timelines show them: so a rendering that silently drops them fails;
//  - every timeline picture on a page has loaded and has a size, and its
//    text stays readable in a dark theme (contrast with the page);
//  - the search box finds a chapter by a word from its text.
// Screenshots of a few pages go to target/browser-check/ for a person to look at.
import { chromium } from "playwright-core";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "book/build");
const shots = resolve("target/browser-check");
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(`no Chromium at ${executablePath} (set CHROMIUM, or apt-get install chromium)`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed += 1;
  } else {
    failed += 1;
    console.log(`FAILED: ${what}`);
  }
}

const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
const errors = [];
page.on("pageerror", (error) => errors.push(error.message));

// Pages that must carry a quick check, and pages that must show timelines.
const chapters = [
  "by-hand", "processes", "daemon-processes", "rack", "dishes", "interleavings",
  "backpressure", "threads", "daemon-threads", "locks", "redis", "threads-or-processes",
];
const withTimelines = ["dishes", "backpressure"];

const pages = readdirSync(root).filter((f) => f.endsWith(".html") && !["print.html", "toc.html", "404.html"].includes(f));
for (const file of pages) {
  await page.goto("file://" + join(root, file));
  const questions = page.locator(".quiz-question");
  const count = await questions.count();
  const stem = file.replace(".html", "");
  if (chapters.includes(stem)) {
    check(count >= 3, `${file}: has a quick check (${count} questions)`);
  }
  for (let i = 0; i < count; i++) {
    const q = questions.nth(i);
    const where = `${file} quiz question ${i + 1}`;
    const feedback = q.locator(".quiz-feedback");
    if ((await q.getAttribute("data-kind")) === "short") {
      const accepted = (await q.getAttribute("data-accept")).split("\n");
      await q.locator(".quiz-input").fill("certainly not this");
      await q.locator(".quiz-check").click();
      check((await feedback.textContent()).startsWith("Not quite"), `${where}: a wrong answer is refused`);
      await q.locator(".quiz-input").fill(accepted[0].toUpperCase() + "  ");
      await q.locator(".quiz-check").click();
      check((await feedback.textContent()) === "Right!", `${where}: "${accepted[0]}" is accepted`);
    } else {
      const answer = await q.getAttribute("data-answer");
      const options = q.locator(".quiz-option");
      const n = await options.count();
      for (let k = 0; k < n; k++) {
        if (String(k) === answer) continue;
        await options.nth(k).click();
        check((await feedback.textContent()).startsWith("Not quite"), `${where}: option ${k} is wrong`);
      }
      await options.nth(Number(answer)).click();
      check((await feedback.textContent()) === "Right!", `${where}: option ${answer} is right`);
      check(await q.locator(".quiz-answer").evaluate((d) => d.open), `${where}: the explanation opens`);
    }
  }
  if (count > 0) {
    await q0Screenshot(file);
  }
  const pictures = page.locator("img.timeline, figure.timeline img, figure.timeline svg");
  const pictureCount = await pictures.count();
  if (withTimelines.includes(stem)) {
    check(pictureCount >= 1, `${file}: shows its timelines (${pictureCount})`);
  }
  for (let i = 0; i < pictureCount; i++) {
    const box = await pictures.nth(i).boundingBox();
    const loaded = await pictures.nth(i).evaluate((el) => el.tagName !== "IMG" || (el.complete && el.naturalWidth > 0));
    check(loaded && box && box.width > 100 && box.height > 50, `${file}: timeline ${i + 1} renders`);
  }
  if (pictureCount > 0) {
    await pictures.first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, file.replace(".html", "-timeline.png")) });
  }
}

async function q0Screenshot(file) {
  await page.locator(".quiz").first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, file.replace(".html", "-quiz.png")), fullPage: false });
}

// A dark theme, chosen as a reader would (the theme menu): the timeline's
// text must still stand out from the page (WCAG contrast of at least 4.5).
await page.goto("file://" + join(root, "dishes.html"));
await page.locator("#mdbook-theme-toggle").click();
await page.locator("#mdbook-theme-navy").click();
await page.keyboard.press("Escape");
check(
  await page.evaluate(() => document.documentElement.classList.contains("navy")),
  "the navy theme is on",
);
const contrast = await page.evaluate(() => {
  const rgb = (css) => css.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const text = document.querySelector("figure.timeline svg text");
  const fg = lum(rgb(getComputedStyle(text).fill));
  const bg = lum(rgb(getComputedStyle(document.body).backgroundColor));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
});
check(contrast >= 4.5, `timeline text readable in the navy theme (contrast ${contrast.toFixed(1)})`);
await page.locator("figure.timeline").first().scrollIntoViewIfNeeded();
await page.screenshot({ path: join(shots, "dishes-timeline-navy.png") });

// Search: open it with the toolbar button, type a word, expect the chapter.
await page.goto("file://" + join(root, "index.html"));
await page.locator("#mdbook-search-toggle, #search-toggle").first().click();
// mdBook searches on `keyup` (a plain fill() types no key), or, when its
// index loads after the text is in, on loading: press a key so that either
// order ends in a search.
const searchbar = page.locator("#mdbook-searchbar, #searchbar").first();
await searchbar.fill("interleavings");
await searchbar.press("End");
const results = page.locator("#mdbook-searchresults a, #searchresults a");
await results.first().waitFor({ timeout: 10000 }).catch(() => {});
const found = await results.allTextContents();
check(
  found.some((text) => /Why your output differs/.test(text)),
  `search for "interleavings" finds the chapter (got ${JSON.stringify(found.slice(0, 5))})`,
);
await page.screenshot({ path: join(shots, "search.png") });

check(errors.length === 0, `no JavaScript errors (${errors.join("; ")})`);
await browser.close();
console.log(`browser check: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
