/**
 * The built-in coalescing strategies by the name the API takes
 * (`/api/coalescence/{name}`), each working field by field on whatever
 * fields `serve.coalesce` configures. A new one is a module beside these
 * added here (or, for one project, `strategies` in wharf.config.ts).
 *
 * @module
 */
import type { Strategy } from "../strategies.ts";
import { avg } from "./avg.ts";
import { max } from "./max.ts";
import { min } from "./min.ts";
import { mode } from "./mode.ts";

/** The built-in strategies. */
export const BUILTIN_STRATEGIES: Readonly<Record<string, Strategy>> = { max, min, avg, mode };
