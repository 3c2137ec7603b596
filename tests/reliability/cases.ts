/**
 * Every reliability case module, for `deno task bench reliability`. A new
 * area's cases are one more import here.
 *
 * @module
 */
import "./land_cases.ts";
import "./build_cases.ts";
import "./snapshot_cases.ts";
import "./enrich_cases.ts";
import "./tic_cases.ts";
import "./concurrency_cases.ts";
import "./api_cases.ts";

export { allCases, caseContext, caseTitle } from "./registry.ts";
