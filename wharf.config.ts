import { defineConfig } from "./mod.ts";

// The bundled example project (a small synthetic clinic) lives under
// tests/testdata/clinic until the healthcare models take its place.
export default defineConfig({
  name: "clinic_example",
  warehouse: "warehouse.duckdb",
  threads: 4,
  paths: {
    models: "tests/testdata/clinic/models",
    macros: "tests/testdata/clinic/sql/macros",
    tests: "tests/testdata/clinic/sql/tests",
  },
});
