/**
 * Every reliability case module, for `deno task bench reliability`. A new
 * area's cases are one more import here.
 *
 * @module
 */
import "./land_cases.ts";

export { allCases, caseTitle } from "./registry.ts";
