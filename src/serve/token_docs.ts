/**
 * What the OpenAPI document says about tokens (see `auth.ts`): the routes
 * that need one declare the `bearer` and `basic` security schemes (the token
 * as Basic's password, for a browser's prompt) and their 401 and 403
 * answers.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { CHALLENGE } from "./auth.ts";

const TokenError = z.object({ error: z.string() });

/** What {@linkcode tokenDocs} adds to a route's config. */
export interface TokenDocs {
  security?: Record<string, string[]>[];
  responses?: {
    401: {
      description: string;
      headers: z.ZodObject;
      content: { "application/json": { schema: z.ZodType } };
    };
    403: { description: string; content: { "application/json": { schema: z.ZodType } } };
  };
}

/** The security requirement of a route that needs a token: either scheme. */
const TOKEN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { basic: [] }];

/**
 * The `security` and the 401 and 403 responses of a route, to spread into
 * its `createRoute` config: nothing when it needs no token (`needed`
 * false). `forbidden` describes the 403.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenDocs } from "./token_docs.ts";
 *
 * assert.deepEqual(tokenDocs(false, "Wrong token"), {});
 * const docs = tokenDocs(true, "Wrong token");
 * assert.deepEqual(docs.security, [{ bearer: [] }, { basic: [] }]);
 * assert.equal(docs.responses?.[403].description, "Wrong token");
 * ```
 */
export function tokenDocs(needed: boolean, forbidden: string): TokenDocs {
  if (!needed) return {};
  return {
    security: TOKEN_SECURITY,
    responses: {
      401: {
        description:
          "No token: send it as Authorization: Bearer <token>, or as the password of Basic authentication",
        headers: z.object({
          "WWW-Authenticate": z.string().openapi({ example: CHALLENGE }),
        }),
        content: { "application/json": { schema: TokenError } },
      },
      403: { description: forbidden, content: { "application/json": { schema: TokenError } } },
    },
  };
}
