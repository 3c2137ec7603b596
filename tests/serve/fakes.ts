/**
 * Fake upstream benefit servers: real HTTP servers on 127.0.0.1 with a
 * behavior per member id, and an in-memory snapshot for app-level tests of
 * the healthcare project's coalescing (its `serve.coalesce` and strategies).
 *
 * @module
 */
import { resolveConfig } from "../../src/config.ts";
import type { AppDeps } from "../../src/serve/deps.ts";
import type { Snapshot } from "../../src/serve/snapshot.ts";
import type { Figures } from "../../src/serve/strategies.ts";
import { BUILTIN_STRATEGIES } from "../../src/serve/strategies/index.ts";
import project from "../../wharf.config.ts";
import { REPO, serveLocal } from "../helpers.ts";

/** The healthcare project's configuration, resolved. */
export const HEALTHCARE = resolveConfig(REPO, project);

/** A member's benefit figures, in integer cents. */
/** A project of prices of an item from two shops, coalesced by sku. */
export const TWO_SHOPS = {
  "models/marts/prices.sql": `select * from (values
    (1001, 'shop_a', 300),
    (1001, 'shop_b', 200)
  ) as t(sku, shop, price)`,
  "wharf.config.ts": `export default {
  serve: { coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["price"] } },
};
`,
};

export type Benefits = Figures<"oop_max" | "remaining_oop_max" | "copay">;

/** How a fake upstream answers. */
export type Behavior =
  | { kind: "values"; values: Benefits }
  | { kind: "unknown" }
  | { kind: "garbage"; body: string }
  | { kind: "status"; status: number }
  | { kind: "slow"; ms: number; values: Benefits }
  | { kind: "slowloris" }
  | { kind: "flaky"; failures: number; values: Benefits }
  | { kind: "hang" }
  | { kind: "huge"; bytes: number };

/** A running fake upstream. */
export interface FakeUpstream extends AsyncDisposable {
  url: string;
  requests: number;
}

/** Starts a fake upstream answering every member with `behavior`. */
export function fakeUpstream(behavior: Behavior): FakeUpstream {
  let failures = behavior.kind === "flaky" ? behavior.failures : 0;
  const state = { requests: 0 };
  const server = serveLocal(async (req) => {
    state.requests++;
    const id = new URL(req.url).searchParams.get("member_id");
    if (!id) return Response.json({ error: "member_id" }, { status: 400 });
    switch (behavior.kind) {
      case "values":
        return Response.json(behavior.values);
      case "unknown":
        return Response.json({});
      case "garbage":
        return new Response(behavior.body, { headers: { "content-type": "application/json" } });
      case "status":
        return new Response("<html>maintenance</html>", { status: behavior.status });
      case "slow":
        await new Promise((r) => setTimeout(r, behavior.ms));
        return Response.json(behavior.values);
      case "slowloris": {
        // Headers at once, then a body that trickles for ever.
        const body = new ReadableStream({
          async pull(ctl) {
            await new Promise((r) => setTimeout(r, 200));
            if (server.signal.aborted) ctl.close();
            else ctl.enqueue(new TextEncoder().encode(" "));
          },
        });
        return new Response(body, { headers: { "content-type": "application/json" } });
      }
      case "flaky":
        if (failures-- > 0) return new Response("oops", { status: 503 });
        return Response.json(behavior.values);
      case "hang":
        // Never answers; gives up when the server stops.
        await new Promise((r) => server.signal.addEventListener("abort", r, { once: true }));
        return new Response(null, { status: 503 });
      case "huge":
        return new Response(`{"oop_max": 1, "pad": "${"x".repeat(behavior.bytes)}"}`, {
          headers: { "content-type": "application/json" },
        });
    }
  });
  return {
    url: `${server.base}/benefits`,
    get requests() {
      return state.requests;
    },
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
  };
}

/**
 * App dependencies of the healthcare project's coalescing (without its
 * `asOf`), with an in-memory snapshot of landed benefits.
 */
export function memoryDeps(
  landed: Record<string, Record<string, Benefits>>,
  extra: Partial<AppDeps> = {},
): AppDeps {
  const index = new Map(
    Object.entries(landed).map(([member, bySource]) => [
      member,
      Object.entries(bySource).map(([source, values]) => ({ source, values })),
    ]),
  );
  const snapshot: Snapshot = { landed: index, takenAt: new Date() };
  return {
    snapshot: () => snapshot,
    project: () => Promise.resolve(undefined),
    coalesce: { ...HEALTHCARE.serve.coalesce!, asOf: undefined },
    strategies: { ...BUILTIN_STRATEGIES, ...HEALTHCARE.strategies },
    upstreams: [],
    upstreamOptions: { timeoutMs: 300, attempts: 2, retryDelayMs: 10 },
    ...extra,
  };
}
