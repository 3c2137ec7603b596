/**
 * `wharf tic lookup`: land a payer's per-EIN lookup file into
 * `raw.tic_lookup_files`. Anthem serves one per employer
 * (`https://…/anthem/<ein>.json`):
 *
 * ```json
 * {"lastupdated": "2023-04-01",
 *  "In-Network Negotiated Rates Files": [{"url": "…/NY_BCCMMEDCL00_01_11.json.gz",
 *                                         "displayname": "NY_PPO_BCCMMEDCL00_01_11.json.gz"}],
 *  "Out-of-Network Allowed Amounts Files": […],
 *  "Blue Cross Blue Shield Association Out-of-Area Rates Files": […]}
 * ```
 *
 * The `displayname` carries the state and network a URL does not, which is
 * what the TiC models read it for. Each entry lands with its lineage (the
 * lookup, EIN, `lastupdated`, section, position) and the URL's key as
 * `raw.tic_files` keys it (path without host and signed query), so the two
 * join. An entry already landed for the same EIN and `lastupdated` (same
 * section, key and display name) is not landed again: landing the same
 * lookup twice adds nothing, even when its URLs were signed anew.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { TicJobConfig } from "./config.ts";
import { ensureTables } from "../engine/db/schema/warehouse_schema.ts";
import { openWarehouse } from "../engine/db/warehouse.ts";
import { FetchError, LandingError, UpstreamError, UsageError } from "../engine/errors.ts";
import { nextBatchId } from "../land/manifest.ts";
import { fetchWithRetry } from "../net/fetch_with_retry.ts";
import { urlKey } from "./files.ts";

/** Options of {@linkcode landLookup}. */
export interface LookupOptions {
  /** Warehouse file; the configured one by default. */
  db?: string;
  /** The employer's EIN; by default read from the input's file name. */
  ein?: string;
  /** Time limit of one HTTP attempt, ms (failures are retried, see `src/net/`). Default 60,000. */
  timeoutMs?: number;
}

/** What landing a lookup did. */
export interface LookupSummary {
  /** `raw.tic_lookups.lookup_id`; null when nothing was new. */
  lookupId: number | null;
  source: string;
  ein: string;
  lastupdated: string | null;
  /** Entries in the file, over all sections. */
  entries: number;
  /** Entries landed now (0: every one was landed before). */
  added: number;
}

/** One entry of a lookup, ready to land. */
interface Entry {
  section: string;
  entry: number;
  url: string;
  key: string;
  host: string;
  fileName: string;
  displayname: string | null;
}

/** Largest lookup read, bytes (Anthem's are a few MB). */
const MAX_BYTES = 256 << 20;

/**
 * An EIN as wharf stores it: nine digits (`01-0504941` → `010504941`).
 *
 * @throws {UsageError} for anything else
 */
export function normalizeEin(ein: string): string {
  const digits = ein.trim().replace(/^(\d{2})-(\d{7})$/, "$1$2");
  if (!/^\d{9}$/.test(digits)) {
    throw new UsageError(`Invalid EIN "${ein}": expected nine digits (e.g. 010643676)`);
  }
  return digits;
}

/**
 * The EIN a lookup's file name carries: its one run of exactly nine digits
 * (`010643676.json`, `anthem_ein_lookup_010643676.json`), or undefined.
 */
export function einFromName(input: string): string | undefined {
  const path = /^https?:\/\//i.test(input) ? new URL(input).pathname : input;
  const name = path.slice(path.replace(/\\/g, "/").lastIndexOf("/") + 1);
  const runs = name.match(/(?<!\d)\d{9}(?!\d)/g) ?? [];
  return runs.length === 1 ? runs[0] : undefined;
}

/**
 * The URL of the lookup of `ein`, from the configured template
 * (`tic.lookupUrl`, `{ein}` replaced).
 *
 * @throws {UsageError} when no template is configured
 */
export function lookupUrlFor(config: TicJobConfig, ein: string): string {
  const template = config.tic.lookupUrl;
  if (!template) {
    throw new UsageError(
      `Cannot fetch the lookup of EIN ${ein}: no lookup URL is configured (set tic.lookupUrl in wharf.config.ts, e.g. "https://…/anthem/{ein}.json", or pass the lookup's file or URL)`,
    );
  }
  return template.replaceAll("{ein}", normalizeEin(ein));
}

/**
 * Lands the lookup at `input` (a path or an http(s) URL).
 *
 * @throws {LandingError} when the file is not a lookup (not JSON, an entry
 * without a URL, naming the section and entry; or an index, in-network
 * rates or allowed-amounts file, saying what to do with it);
 * {@linkcode UpstreamError} when a URL cannot be read; {@linkcode UsageError}
 * when the EIN is neither given nor in the file name, or `--ein` differs
 * from the EIN in the file name
 */
export async function landLookup(
  config: TicJobConfig,
  input: string,
  options: LookupOptions = {},
): Promise<LookupSummary> {
  const ein = einOf(input, options.ein);
  const bytes = await readLookup(input, options.timeoutMs ?? 60_000);
  const { lastupdated, entries } = parseLookup(input, bytes);
  if (ein === undefined) {
    throw new UsageError(
      `Cannot tell the EIN of lookup "${input}": its file name holds no nine-digit EIN (pass --ein)`,
    );
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const wh = await openWarehouse(options.db ?? config.warehouse);
  try {
    return await wh.withConnection(async (s) => {
      await ensureTables(s, "tic");
      await s.exec(
        `CREATE OR REPLACE TEMP TABLE lookup_entries (section VARCHAR, entry BIGINT, url VARCHAR,
           url_key VARCHAR, host VARCHAR, file_name VARCHAR, displayname VARCHAR)`,
      );
      await s.append(
        "temp",
        "lookup_entries",
        entries.map((e) => [
          e.section,
          BigInt(e.entry),
          e.url,
          e.key,
          e.host,
          e.fileName,
          e.displayname,
        ]),
      );
      await s.exec("BEGIN TRANSACTION");
      try {
        const id = await nextBatchId(s);
        const added = await s.count(
          `INSERT INTO raw.tic_lookup_files
             (lookup_id, ein, lastupdated, section, entry, url, url_key, host, file_name, displayname)
           SELECT ?, ?, ?, n.section, n.entry, n.url, n.url_key, n.host, n.file_name, n.displayname
           FROM temp.lookup_entries AS n
           WHERE NOT EXISTS (
             SELECT 1 FROM raw.tic_lookup_files AS o
             WHERE o.ein = ? AND o.lastupdated IS NOT DISTINCT FROM ? AND o.section = n.section
               AND o.url_key = n.url_key AND o.displayname IS NOT DISTINCT FROM n.displayname
           )
           QUALIFY row_number() OVER (PARTITION BY n.section, n.url_key, n.displayname ORDER BY n.entry) = 1`,
          [id, ein, lastupdated, ein, lastupdated],
        );
        if (added > 0) {
          await s.exec(
            `INSERT INTO raw.tic_lookups (lookup_id, source, ein, lastupdated, sha256, entries, added, landed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, now())`,
            [id, input, ein, lastupdated, sha256, entries.length, added],
          );
        }
        await s.exec("COMMIT");
        return {
          lookupId: added > 0 ? id : null,
          source: input,
          ein,
          lastupdated,
          entries: entries.length,
          added,
        };
      } catch (err) {
        await s.exec("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        await s.exec("DROP TABLE IF EXISTS temp.lookup_entries");
      }
    });
  } finally {
    wh.close();
  }
}

/**
 * The EIN a lookup lands under: `given` (`--ein`) or the one in its file
 * name; undefined when neither says.
 *
 * @throws {UsageError} when `given` is no EIN, or differs from the EIN in the
 * file name (the lookup of another employer would land under `given`)
 */
function einOf(input: string, given: string | undefined): string | undefined {
  const named = einFromName(input);
  if (given === undefined) return named;
  const ein = normalizeEin(given);
  if (named !== undefined && named !== ein) {
    throw new UsageError(
      `EIN mismatch for lookup "${input}": --ein ${ein} was given, but its file name carries EIN ${named}; nothing landed (drop --ein to land it as ${named}, or give the lookup of ${ein})`,
    );
  }
  return ein;
}

/** The bytes of a lookup (gunzipped when gzipped), from a file or a URL. */
async function readLookup(input: string, timeoutMs: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (/^https?:\/\//i.test(input)) {
    try {
      bytes = (await fetchWithRetry(input, {
        action: "read lookup",
        timeoutMs,
        maxBytes: MAX_BYTES,
      })).bytes;
    } catch (err) {
      if (err instanceof FetchError && err.kind === "too_large") {
        throw new UpstreamError(input, tooLarge(input), { cause: err });
      }
      throw err;
    }
  } else {
    try {
      const size = (await Deno.stat(input)).size;
      if (size > MAX_BYTES) throw new LandingError(input, tooLarge(input, size));
      bytes = await Deno.readFile(input);
    } catch (err) {
      if (err instanceof LandingError) throw err;
      throw new LandingError(
        input,
        `Cannot read lookup "${input}": ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  if (bytes.length > MAX_BYTES) throw new LandingError(input, tooLarge(input, bytes.length));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
    } catch (err) {
      throw new LandingError(
        input,
        `Cannot read lookup "${input}": broken gzip stream: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  }
  return bytes;
}

function tooLarge(input: string, size?: number): string {
  return `Cannot read lookup "${input}": ${
    size === undefined ? `over ${MAX_BYTES} bytes` : `${size} bytes`
  } is more than a lookup holds (at most ${MAX_BYTES}); is it an index? (land indexes with \`wharf tic <file>\`)`;
}

/**
 * What a Transparency-in-Coverage file that is not a lookup is, and what to
 * do with it, from its top-level keys; undefined for anything else.
 */
function otherTicFile(doc: object): string | undefined {
  const has = (key: string) => Object.hasOwn(doc, key);
  if (has("reporting_structure") || (has("reporting_plans") && !has("in_network"))) {
    return `a table-of-contents index (it has "${
      has("reporting_structure") ? "reporting_structure" : "reporting_plans"
    }"): land it with \`wharf tic <file>\`; the in-network files it lists are then in raw.tic_files`;
  }
  if (has("in_network")) {
    return 'an in-network rates file (it has "in_network"), which an index lists: land the index that lists it with `wharf tic <index>`';
  }
  if (has("out_of_network")) {
    return 'an allowed-amounts file (it has "out_of_network"), which an index lists: land the index that lists it with `wharf tic <index>`';
  }
  return undefined;
}

/**
 * The entries of a lookup. Every top-level key but `lastupdated` is a
 * section: a list of `{url, displayname}`.
 *
 * @throws {LandingError} naming the section and entry that does not fit
 */
function parseLookup(
  input: string,
  bytes: Uint8Array,
): { lastupdated: string | null; entries: Entry[] } {
  const bad = (what: string) =>
    new LandingError(
      input,
      `Invalid lookup "${input}": ${what} (expected {"lastupdated": "…", "<section>": [{"url": "…", "displayname": "…"}, …], …})`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw bad(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw bad(
      `the document is ${Array.isArray(doc) ? "a list" : JSON.stringify(doc)}, not an object`,
    );
  }
  const other = otherTicFile(doc);
  if (other) {
    throw new LandingError(
      input,
      `Not a lookup: "${input}" is ${other}; \`wharf tic lookup\` lands a payer's per-EIN lookup (Anthem's https://…/anthem/<ein>.json: {"lastupdated": "…", "In-Network Negotiated Rates Files": [{"url": "…", "displayname": "…"}, …], …})`,
    );
  }
  let lastupdated: string | null = null;
  const entries: Entry[] = [];
  for (const [section, value] of Object.entries(doc)) {
    if (section === "lastupdated") {
      if (value !== null && typeof value !== "string") {
        throw bad(`"lastupdated" is ${JSON.stringify(value)}, not a string`);
      }
      lastupdated = value;
      continue;
    }
    if (!Array.isArray(value)) {
      throw bad(
        `section "${section}" is ${
          typeof value === "object" ? "an object" : JSON.stringify(value)
        }, not a list of files`,
      );
    }
    value.forEach((item: unknown, i) => {
      const at = `entry ${i + 1} of section "${section}"`;
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw bad(`${at} is ${JSON.stringify(item)}, not an object`);
      }
      const { url, displayname, ...rest } = item as Record<string, unknown>;
      const unknown = Object.keys(rest);
      if (unknown.length) {
        throw bad(
          `${at} has unknown field${unknown.length > 1 ? "s" : ""} ${
            unknown.map((k) => `"${k}"`).join(", ")
          }`,
        );
      }
      if (typeof url !== "string" || !url.trim()) {
        throw bad(`${at} has no "url" (got ${JSON.stringify(url)})`);
      }
      if (displayname !== undefined && displayname !== null && typeof displayname !== "string") {
        throw bad(`${at} has a "displayname" that is not text (${JSON.stringify(displayname)})`);
      }
      const trimmed = url.trim();
      const { key, host } = urlKey(trimmed);
      entries.push({
        section,
        entry: i + 1,
        url: trimmed,
        key,
        host,
        fileName: key.slice(key.lastIndexOf("/") + 1),
        displayname: typeof displayname === "string" && displayname.trim()
          ? displayname.trim()
          : null,
      });
    });
  }
  if (!entries.length) throw bad("it lists no files");
  return { lastupdated, entries };
}
