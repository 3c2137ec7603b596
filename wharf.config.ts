import { defineConfig } from "./mod.ts";

export default defineConfig({
  name: "clinic_example",
  warehouse: "warehouse.duckdb",
  threads: 4,
});
