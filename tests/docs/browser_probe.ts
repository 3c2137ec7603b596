/**
 * One browser test and nothing else, for `browser_test.ts` to run with and
 * without a browser (not a `_test` file: `deno test` alone does not pick it).
 *
 * @module
 */
import { browserTest } from "./browser.ts";

browserTest("a page loads in Chromium", async (browser) => {
  const page = await browser.newPage();
  await page.setContent("<p>ok</p>");
  if ((await page.textContent("p")) !== "ok") throw new Error("The page did not load");
});
