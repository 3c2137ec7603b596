/**
 * The docs site at `/docs` and `/docs/` (and its manifest at `/docs/manifest.json`),
 * built from the project and the current warehouse snapshot, rebuilt when
 * the snapshot changes.
 *
 * @module
 */
import { Hono } from "hono";
import { buildManifest, type Manifest } from "../../docs/manifest.ts";
import { renderSite } from "../../docs/site.ts";
import { apiNodes } from "../api_nodes.ts";
import type { AppDeps } from "../deps.ts";
import { noQuery } from "../no_query.ts";
import type { Snapshot } from "../snapshot.ts";

/** The docs route group. */
export function docsSiteRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  let cache: { for?: Snapshot; manifest?: Promise<Manifest | undefined> } = {};
  const nodes = apiNodes(deps.coalesce);
  const manifest = () => {
    const snapshot = deps.snapshot();
    if (cache.for !== snapshot || !cache.manifest) {
      cache = {
        for: snapshot,
        manifest: deps.project().then((cp) =>
          cp ? buildManifest(cp, snapshot.db, { apiNodes: nodes }) : undefined
        ),
      };
    }
    return cache.manifest!;
  };
  const notCompiled = { error: "The project does not compile: run `wharf build` to see why" };
  // With or without the trailing slash: the page's links are all fragments.
  for (const path of ["/docs", "/docs/"]) {
    app.get(path, noQuery, async (c) => {
      const m = await manifest();
      return m ? c.html(renderSite(m)) : c.json(notCompiled, 503);
    });
  }
  app.get("/docs/manifest.json", noQuery, async (c) => {
    const m = await manifest();
    return m ? c.json(m) : c.json(notCompiled, 503);
  });
  return app;
}
