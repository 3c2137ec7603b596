/**
 * dbt's `sql_header`: SQL a model runs in its session before its own
 * statements (`SET …`, a temporary macro). A build asks the warehouse for
 * sessions (one, or several: an incremental model's batches); the header
 * runs first in each, whatever the materialization.
 *
 * @module
 */
import type { Session, Warehouse } from "../db/warehouse.ts";

/** The session methods a build may call on the warehouse directly (each on a pooled connection). */
const ON_A_SESSION = ["exec", "query", "count", "countWithProgress", "read", "columns"] as const;

/**
 * `wh` as a build sees it with `header`: every session it hands out (and
 * every statement it runs itself) runs `header` first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "../db/warehouse.ts";
 * import { withSqlHeader } from "./sql_header.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * const headed = withSqlHeader(wh, "SET VARIABLE region = 'north'");
 * assert.deepEqual(await headed.query("SELECT getvariable('region') AS r"), [{ r: "north" }]);
 * await wh.close();
 * ```
 */
export function withSqlHeader(wh: Warehouse, header: string): Warehouse {
  const withHeader = <T>(fn: (s: Session) => Promise<T>): Promise<T> =>
    wh.withConnection(async (s) => {
      await s.exec(header);
      return await fn(s);
    });
  return new Proxy(wh, {
    get(target, prop) {
      if (prop === "withConnection") return withHeader;
      if (prop === "transaction") {
        return <T>(fn: (s: Session) => Promise<T>) => withHeader((s) => s.transaction(fn));
      }
      if ((ON_A_SESSION as readonly (string | symbol)[]).includes(prop)) {
        return (...args: unknown[]) =>
          withHeader((s) =>
            (s[prop as typeof ON_A_SESSION[number]] as (...a: unknown[]) => Promise<unknown>)(
              ...args,
            )
          );
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
