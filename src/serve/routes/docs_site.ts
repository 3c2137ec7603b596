/**
 * The docs site at `/docs` (and its manifest at `/docs/manifest.json`),
 * built from the project and the current warehouse snapshot, rebuilt when
 * the snapshot changes.
 *
 * @module
 */
import { Hono } from "hono";
import { buildManifest, type Manifest } from "../../docs/manifest.ts";
import { renderSite } from "../../docs/site.ts";
import type { AppDeps } from "../deps.ts";
import type { Snapshot } from "../snapshot.ts";

/** The docs route group. */
export function docsSiteRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  let cache: { for?: Snapshot; manifest?: Promise<Manifest | undefined> } = {};
  const manifest = () => {
    const snapshot = deps.snapshot();
    if (cache.for !== snapshot || !cache.manifest) {
      cache = {
        for: snapshot,
        manifest: deps.project().then((cp) => cp ? buildManifest(cp, snapshot.db) : undefined),
      };
    }
    return cache.manifest!;
  };
  app.get("/docs", async (c) => {
    const m = await manifest();
    if (!m) {
      return c.json({ error: "The project does not compile: run `wharf build` to see why" }, 503);
    }
    return c.html(renderSite(m));
  });
  app.get("/docs/manifest.json", async (c) => {
    const m = await manifest();
    if (!m) {
      return c.json({ error: "The project does not compile: run `wharf build` to see why" }, 503);
    }
    return c.json(m);
  });
  return app;
}
