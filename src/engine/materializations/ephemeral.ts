/**
 * `ephemeral`: not built; inlined as a CTE into every query that reads it.
 *
 * @module
 */
import { defineMaterialization, NO_PARTS, noSettings } from "./materialization.ts";

/** The `ephemeral` materialization. */
export const ephemeral = defineMaterialization({
  name: "ephemeral",
  config: noSettings("ephemeral"),
  inlined: true,
  parts: NO_PARTS,
  compile: ({ select }) => ({
    sql: "",
    script: `-- ephemeral: inlined as a CTE into the models that read it\n${select};\n`,
    parts: {},
  }),
  build: () => Promise.resolve({ message: "inlined" }),
});
