/**
 * The fake NPI registry of `deno task bench npi` in a process of its own,
 * as the real registry is: its 50 ms answers and injected faults do not
 * share the enricher's event loop. Prints its URL, then serves until killed.
 * Arguments: latency in ms, then each fault's share (429, 5xx, HTML page,
 * cut-off body).
 *
 * @module
 */
import { fakeRegistry } from "../tests/enrich/fake_registry.ts";

const [latencyMs, tooMany, serverError, html, drop] = Deno.args.map(Number);
const registry = fakeRegistry({ latencyMs, faults: { tooMany, serverError, html, drop } });
console.log(registry.url);
