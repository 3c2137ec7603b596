import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { loadConfig } from "../../src/config.ts";
import { runDemo } from "../../src/demo/run_demo.ts";
import { buildDocs } from "../../src/docs/build_docs.ts";
import type { Manifest } from "../../src/docs/manifest.ts";
import { apiNodes } from "../../src/serve/api_nodes.ts";
import { REPO, type TempProject, tempProject } from "../helpers.ts";
import { browserTest } from "./browser.ts";

const SHOTS = join(REPO, "target", "screenshots");

/** The healthcare project built on the demo's data in `p`, and its docs site. */
async function healthcareDocs(p: TempProject): Promise<{ url: string; manifest: Manifest }> {
  const base = await loadConfig(REPO);
  const config = {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
  const demo = await runDemo(config, { dataDir: join(p.root, "data"), db: p.db });
  assert.ok(demo.build.ok);
  const out = join(p.root, "docs");
  const manifest = await buildDocs(config, {
    db: p.db,
    out,
    apiNodes: apiNodes(config.serve.coalesce),
  });
  return { url: `file://${out}/index.html`, manifest };
}

/** Runs `expression` in the page (the DOM globals are the browser's, not Deno's). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

interface Label {
  id: string;
  /** Font size × the zoom of the graph: the label's height on screen, px. */
  px: number;
  /** Whether the node's box is wholly inside the graph's panel. */
  inView: boolean;
}

/** The graph's nodes as drawn: rendered label size and whether each is in view. */
function labels(page: Page): Promise<Label[]> {
  return inPage(
    page,
    `(() => {
      const panel = document.getElementById("graph").getBoundingClientRect();
      return [...document.querySelectorAll("#graph .node")].map((g) => {
        const t = g.querySelector("text"), b = g.getBoundingClientRect();
        return {
          id: g.dataset.id,
          px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
          inView: b.left >= panel.left - 0.5 && b.right <= panel.right + 0.5 &&
            b.top >= panel.top - 0.5 && b.bottom <= panel.bottom + 0.5,
        };
      });
    })()`,
  );
}

/**
 * Tables (or their cells) cut off at the details panel's right edge, described; empty when
 * every table fits (or, for sample rows, scrolls inside its box).
 */
function overflowingTables(page: Page): Promise<string[]> {
  return inPage(
    page,
    `(() => {
      const panel = document.getElementById("details");
      const right = panel.getBoundingClientRect().right;
      const out = [];
      for (const t of panel.querySelectorAll("table")) {
        if (!t.getClientRects().length) continue; // inside a closed <details>
        const box = t.parentElement;
        const name = (t.id || t.querySelector("th")?.textContent || "table");
        if (box.getBoundingClientRect().right > right + 0.5) out.push(name + ": its box is past the panel");
        if (t.classList.contains("wide")) {
          // Sample rows keep a line each: their box scrolls sideways instead.
          if (getComputedStyle(box).overflowX !== "auto") out.push(name + ": wide, in a box that does not scroll");
          continue;
        }
        if (t.getBoundingClientRect().right > right + 0.5) out.push(name + ": right edge past the panel");
        if (t.scrollWidth > box.clientWidth + 0.5) out.push(name + ": " + t.scrollWidth + "px in " + box.clientWidth + "px");
        for (const c of t.querySelectorAll("td, th")) {
          if (c.scrollWidth > c.clientWidth + 1) out.push(name + ": cell cut off: " + c.textContent.slice(0, 40));
        }
      }
      return out;
    })()`,
  );
}

/** Edges that pass under a node (other than at their ends), described. */
function edgesUnderNodes(page: Page): Promise<string[]> {
  return inPage(
    page,
    `(() => {
      const boxes = [...document.querySelectorAll("#graph .node")].map((g) => {
        const m = g.transform.baseVal.consolidate().matrix, r = g.querySelector("rect");
        return { id: g.dataset.id, x: m.e, y: m.f, w: r.width.baseVal.value, h: r.height.baseVal.value };
      });
      const out = [];
      for (const p of document.querySelectorAll("#graph .edge")) {
        for (let at = 0; at <= p.getTotalLength(); at += 3) {
          const { x, y } = p.getPointAtLength(at);
          const under = boxes.find((b) => x > b.x + 1 && x < b.x + b.w - 1 && y > b.y + 1 && y < b.y + b.h - 1);
          if (under) { out.push(p.dataset.from + " → " + p.dataset.to + " under " + under.id); break; }
        }
      }
      return out;
    })()`,
  );
}

function pageOverflow(page: Page): Promise<number> {
  return inPage(page, "document.documentElement.scrollWidth - innerWidth");
}

browserTest(
  "docs at 1280×800 (healthcare project): labels of at least 11 px with the whole graph in view, a node opens on its lineage, no table wider than its panel",
  async (browser) => {
    await using p = await tempProject();
    const { url, manifest } = await healthcareDocs(p);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await Deno.mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "docs-graph.png") });

    // The overview: every node drawn, in view, and readable without zooming.
    const overview = await labels(page);
    assert.equal(overview.length, manifest.nodes.length);
    const small = overview.filter((l) => l.px < 11);
    assert.deepEqual(small, [], "labels under 11 px");
    assert.deepEqual(overview.filter((l) => !l.inView).map((l) => l.id), [], "nodes out of view");
    assert.equal(await page.locator("#nodes button").count(), manifest.nodes.length);
    assert.equal(await page.locator("#graph .edge").count(), manifest.edges.length);
    assert.deepEqual(await edgesUnderNodes(page), []);
    // The overview's summary is in the graph's bar, so the graph has the panel's whole height.
    assert.match(
      await page.locator(".graph-bar #summary").innerText(),
      new RegExp(`^${manifest.nodes.length} nodes, generated \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z · `),
    );

    // A node opens on its lineage: everything upstream and downstream, tests included.
    await page.locator('#graph .node[data-id="marts.members"]').click();
    assert.equal(await page.locator("#details h2").innerText(), "marts.members");
    const lineage = await labels(page);
    assert.deepEqual(lineage.map((l) => l.id).sort(), [
      "intermediate.int_members",
      "marts.member_claims",
      "marts.members",
      "raw.membership_client_a",
      "raw.membership_client_b",
      "seeds.us_states",
      "seeds.us_zips",
      // The staging models of members read the landing's rejects and files, joined once in
      // staging.stg_landing_rejects.
      "staging.stg_landing_rejects",
      "staging.stg_members_client_a",
      "staging.stg_members_client_b",
      "test.members_one_row_per_member",
      "wharf.files",
      "wharf.rejects",
    ]);
    assert.deepEqual(lineage.filter((l) => l.px < 11 || !l.inView), []);
    assert.deepEqual(await edgesUnderNodes(page), []);
    const text = await page.locator("#details").innerText();
    assert.match(text, /status\s+VARCHAR/);
    assert.match(text, /accepted_values_members_status pass/);
    assert.match(text, /member_id\s+VARCHAR[^\n]*intermediate\.int_members\.member_id/);
    await page.screenshot({ path: join(SHOTS, "docs-model.png") });
    assert.deepEqual(await overflowingTables(page), []);

    // The whole graph again, beside the page: still readable (panned, not shrunk).
    await page.click("#scope-btn");
    const whole = await labels(page);
    assert.equal(whole.length, manifest.nodes.length);
    assert.deepEqual(whole.filter((l) => l.px < 11), []);
    assert.ok(whole.find((l) => l.id === "marts.members")!.inView);
    // "Fit" is the one view that may shrink labels: everything in view.
    await page.click("#fit");
    assert.deepEqual((await labels(page)).filter((l) => !l.inView), []);

    // Pages with the widest tables: landed files, checks and rejected rows, run history.
    await page.goto(`${url}#/node/raw.membership_client_b`);
    assert.match(
      await page.locator("#files").innerText(),
      /Patient-membership-clientB-202307\.xlsx/,
    );
    assert.deepEqual(await overflowingTables(page), [], "raw.membership_client_b");
    for (const id of ["staging.stg_members_client_b", "marts.member_claims"]) {
      await page.goto(`${url}#/node/${id}`);
      assert.equal(await page.locator("#details h2").innerText(), id);
      assert.deepEqual(await overflowingTables(page), [], id);
    }
    await page.goto(`${url}#/runs`);
    await page.locator("#runs summary").first().click();
    assert.match(await page.locator("#runs").innerText(), /build\s+success\s+\d+/);
    assert.deepEqual(await overflowingTables(page), [], "runs");

    // Search finds a column by name; picking a hit opens its node.
    await page.goto(url);
    await page.fill("#search", "billed_cents");
    const hits = await page.locator("#results li").allInnerTexts();
    assert.ok(hits.includes("marts.member_claims · billed_cents"), hits.join("|"));
    assert.ok(await page.locator('#graph .node.hit[data-id="marts.member_claims"]').count());
    await page.locator("#results li", { hasText: "marts.member_claims · billed_cents" }).click();
    assert.equal(await page.locator("#details h2").innerText(), "marts.member_claims");

    // The node list works from the keyboard.
    await page.locator("#nodes button").first().focus();
    await page.keyboard.press("ArrowDown");
    const second = await page.locator("#nodes button").nth(1).getAttribute("data-id");
    await page.keyboard.press("Enter");
    // The page answers the key press on its next render: wait for it (at most 5 s), then check.
    await page.waitForFunction(
      `document.querySelector("#details h2")?.textContent === ${JSON.stringify(second)}`,
      undefined,
      { timeout: 5000 },
    ).catch(() => {});
    assert.equal(await page.locator("#details h2").innerText(), second);
    assert.equal(await pageOverflow(page), 0);
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "docs at 390×844: the node list comes first, the graph on demand, tables fit the screen",
  async (browser) => {
    await using p = await tempProject();
    const { url, manifest } = await healthcareDocs(p);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    const graph = page.locator("#graph-panel");
    const list = page.locator("#nodes");
    assert.ok(await list.isVisible());
    assert.ok(!(await graph.isVisible()), "the graph waits until asked for");
    const firstNode = (await page.locator("#nodes button").first().boundingBox())!;
    assert.ok(firstNode.y < 300, `the first node is ${firstNode.y}px down`);
    assert.equal(await page.locator("#nodes button").count(), manifest.nodes.length);
    assert.equal(await pageOverflow(page), 0);
    await page.screenshot({ path: join(SHOTS, "docs-phone-list.png") });

    // On demand: the graph opens above the list, readable.
    await page.click("#graph-toggle");
    assert.ok(await graph.isVisible());
    assert.equal(await page.locator("#graph-toggle").getAttribute("aria-expanded"), "true");
    const [g, l] = [(await graph.boundingBox())!, (await list.boundingBox())!];
    assert.ok(g.y < l.y, "the graph opens above the list");
    assert.deepEqual((await labels(page)).filter((x) => x.px < 11), []);
    await page.screenshot({ path: join(SHOTS, "docs-phone-graph.png") });
    await page.click("#graph-toggle");
    assert.ok(!(await graph.isVisible()));

    // A node page: the page itself first, the list behind "All nodes", tables fit.
    await page.locator('#nodes button[data-id="marts.members"]').click();
    assert.equal(await page.locator("#details h2").innerText(), "marts.members");
    assert.ok(!(await list.isVisible()) && !(await graph.isVisible()));
    for (const id of ["marts.members", "raw.membership_client_b", "staging.stg_members_client_b"]) {
      await page.goto(`${url}#/node/${id}`);
      assert.deepEqual(await overflowingTables(page), [], id);
      assert.equal(await pageOverflow(page), 0, id);
    }
    await page.screenshot({ path: join(SHOTS, "docs-phone.png"), fullPage: true });
    await page.goto(`${url}#/runs`);
    assert.deepEqual(await overflowingTables(page), [], "runs");
    await page.click(".back");
    assert.ok(await list.isVisible());
    assert.deepEqual(errors, []);
  },
);
