import assert from "node:assert/strict";
import { join } from "node:path";
import { buildDocs } from "../../src/docs/build_docs.ts";
import { runProject } from "../../src/run/run_project.ts";
import { REPO, tempClinic } from "../helpers.ts";
import { browserTest } from "./browser.ts";

const SHOTS = join(REPO, "target", "screenshots");

browserTest(
  "docs: the page loads without errors, the graph has one node per project node, and pages, search and focus work",
  async (browser) => {
    await using p = await tempClinic();
    assert.ok((await runProject("build", p.config, { db: p.db })).ok);
    const out = join(p.root, "docs");
    const manifest = await buildDocs(p.config, { db: p.db, out });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`file://${out}/index.html`);
    assert.equal(await page.locator("#graph .node").count(), manifest.nodes.length);
    assert.equal(await page.locator("#nodes button").count(), manifest.nodes.length);
    await Deno.mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "docs-graph.png") });

    // Clicking a node opens its page with its columns, types as built, tests and lineage.
    await page.locator('#graph .node[data-id="marts.patient_visits"]').click();
    const columns = page.locator("#columns tr");
    assert.ok(await columns.count() > 5);
    const text = await page.locator("#details").innerText();
    assert.match(text, /patient_id\s+INTEGER/);
    assert.match(text, /unique_patient_visits_patient_id pass/);
    assert.match(text, /staging\.stg_patients\.first_name/);
    await page.screenshot({ path: join(SHOTS, "docs-model.png") });

    // Search finds a column by name.
    await page.fill("#search", "paid_cents");
    const hits = await page.locator("#results li").allInnerTexts();
    assert.ok(hits.some((h) => h === "marts.daily_revenue · paid_cents"), hits.join("|"));

    // Focus hides what is neither upstream nor downstream.
    await page.locator('#graph .node[data-id="staging.stg_patients"]').click();
    await page.click("#focus-btn");
    const visible = await page.locator("#graph .node:not(.hidden)").evaluateAll((els) =>
      els.map((e) => e.getAttribute("data-id"))
    );
    assert.ok(visible.includes("seeds.patients") && visible.includes("marts.patient_visits"));
    assert.ok(
      !visible.includes("staging.stg_payments") && !visible.includes("marts.daily_revenue"),
    );
    await page.click("#all-btn");
    assert.equal(await page.locator("#graph .node.hidden").count(), 0);

    // The node list works from the keyboard.
    await page.locator("#nodes button").first().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    assert.match(await page.locator("#details h2").innerText(), /^[a-z_]+\.[a-z_]+$/);

    // Run history.
    await page.goto(`file://${out}/index.html#/runs`);
    assert.match(await page.locator("#runs").innerText(), /build\s+success\s+31/);

    // No layout break on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`file://${out}/index.html#/node/marts.patient_visits`);
    // Runs in the page: the DOM globals are the browser's.
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - innerWidth",
    ) as number;
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
    await page.screenshot({ path: join(SHOTS, "docs-phone.png"), fullPage: true });
    assert.deepEqual(errors, []);
  },
);
