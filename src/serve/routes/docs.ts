/**
 * The OpenAPI document and a browsable page for it, with Swagger UI's
 * assets served from the npm package (no CDN: works offline).
 *
 * @module
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { CoalesceSpec } from "../coalesce_config.ts";
import { noQuery } from "../no_query.ts";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

let assetDir: string | undefined;

function swaggerDir(): string {
  assetDir ??= dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  return assetDir;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>wharf API</title>
  <link rel="stylesheet" href="/docs/api/assets/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/api/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/api/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui" });`;

/**
 * Mounts `/openapi.json` and `/docs/api` on `app`. The description says
 * what `coalesce` (`serve.coalesce`) answers, or that coalescing is not
 * configured.
 */
export function mountDocs(
  app: OpenAPIHono,
  version: string,
  coalesce: CoalesceSpec | undefined,
): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The token as Authorization: Bearer <token>",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "basic", {
    type: "http",
    scheme: "basic",
    description: "The token as the password of HTTP Basic authentication (any user name)",
  });
  // A handler that only checks the query, before the document's own.
  app.get("/openapi.json", noQuery);
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "wharf API",
      version,
      description: coalesce
        ? `Coalesced ${
          coalesce.fields.join(", ")
        } per ${coalesce.key} from several sources (${coalesce.model} and live upstreams), upload ingestion and read-only access to the models.`
        : "Upload ingestion and read-only access to the models. Coalescing is not configured (serve.coalesce in wharf.config.ts): there is no /api/coalescence.",
    },
  });
  app.get("/docs/api", noQuery, (c) => c.html(PAGE));
  // Beside the assets, not among them: a fixed path where /docs/api/assets/:file also
  // matches would make Hono fall back from its RegExpRouter to the slower TrieRouter.
  app.get(
    "/docs/api/init.js",
    noQuery,
    (c) => c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );
  app.get("/docs/api/assets/:file", noQuery, async (c) => {
    const file = c.req.param("file");
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) return c.json({ error: `No asset "${file}"` }, 404);
    const body = await Deno.readFile(join(swaggerDir(), file));
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
}
