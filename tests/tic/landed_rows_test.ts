/**
 * The rows `wharf tic` lands, against a reference computed the plain way:
 * the whole index through `JSON.parse`, files keyed with `urlKey()`. On
 * real indexes and on documents made to trip the byte-level reader (escapes
 * and multibyte characters across chunk boundaries, keys split between
 * chunks, text with control characters, lone surrogates, odd URLs).
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { landTic, type TicOptions } from "../../src/tic/land_tic.ts";
import { urlKey } from "../../src/tic/files.ts";
import { REAL, type TempProject, tempProject } from "../helpers.ts";
import { gzip, query } from "../land/helpers.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Rows {
  plans: string[];
  files: string[];
  links: string[];
}

/** A scalar as text, as wharf lands it: strings and numbers as text, anything else null. */
function text(v: Json | undefined): string | null {
  if (typeof v === "string") return v.toWellFormed();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return null;
}

/** Enum values compared without surrounding whitespace (space, tab, newline, return) and case. */
function lowered(v: string | null): string | null {
  return v === null ? null : v.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, "").toLowerCase();
}

const list = (v: Json | undefined): Json[] =>
  Array.isArray(v) ? v : v !== null && typeof v === "object" ? [v] : [];

const isObject = (v: Json): v is { [key: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** What the index's rows must be, computed from the parsed document. */
function reference(doc: { [key: string]: Json }): Rows {
  const streamed = doc.reporting_structure;
  const structures: Json[] = streamed === undefined
    ? [doc]
    : Array.isArray(streamed)
    ? streamed
    : isObject(streamed)
    ? Object.values(streamed)
    : [];
  const rows: Rows = { plans: [], files: [], links: [] };
  const ids = new Map<string, number>();
  structures.forEach((s, i) => {
    const id = i + 1;
    if (!isObject(s)) return;
    for (const p of list(s.reporting_plans).filter(isObject)) {
      rows.plans.push(JSON.stringify([
        id,
        text(p.plan_name),
        text(p.plan_id),
        lowered(text(p.plan_id_type)),
        lowered(text(p.plan_market_type)),
        text(p.plan_sponsor_name),
        text(p.issuer_name),
      ]));
    }
    const linked = new Set<number>();
    const slots: [0 | 1, Json | undefined][] = [
      [0, s.in_network_files],
      [1, s.allowed_amount_file],
      [1, s.allowed_amount_files],
    ];
    for (const [kind, value] of slots) {
      for (const f of list(value).filter(isObject)) {
        if (typeof f.location !== "string") continue;
        const url = f.location.trim().toWellFormed();
        if (!url) continue;
        const { key, host } = urlKey(url);
        const name = `${kind} ${key}`;
        if (!ids.has(name)) {
          ids.set(name, ids.size + 1);
          rows.files.push(JSON.stringify([
            ids.size,
            kind ? "allowed_amount" : "in_network",
            key,
            url,
            host,
            key.slice(key.lastIndexOf("/") + 1),
            text(f.description),
          ]));
        }
        const fid = ids.get(name)!;
        if (!linked.has(fid)) rows.links.push(JSON.stringify([id, fid]));
        linked.add(fid);
      }
    }
  });
  rows.plans.sort();
  rows.links.sort();
  return rows;
}

/** The rows landed for index `indexId`. */
async function landed(db: string, indexId: number): Promise<Rows> {
  const rows = async (sql: string, columns: string[]) =>
    (await query(db, `${sql} WHERE index_id = ${indexId}`)).map((r) =>
      JSON.stringify(columns.map((c) => typeof r[c] === "bigint" ? Number(r[c]) : r[c]))
    );
  return {
    plans: (await rows(
      `SELECT structure_id::INT AS s, plan_name, plan_id, plan_id_type, plan_market_type,
         plan_sponsor_name, issuer_name FROM raw.tic_plans`,
      [
        "s",
        "plan_name",
        "plan_id",
        "plan_id_type",
        "plan_market_type",
        "plan_sponsor_name",
        "issuer_name",
      ],
    )).sort(),
    files: (await rows(
      "SELECT file_id::INT AS f, kind, url_key, url, host, file_name, description FROM raw.tic_files",
      ["f", "kind", "url_key", "url", "host", "file_name", "description"],
    )).sort((a, b) => JSON.parse(a)[0] - JSON.parse(b)[0]),
    links: (await rows(
      "SELECT structure_id::INT AS s, file_id::INT AS f FROM raw.tic_plan_files",
      ["s", "f"],
    )).sort(),
  };
}

/** Asserts two lists of rows are equal, naming the first that differs (not a diff of thousands). */
function sameRows(got: string[], want: string[], what: string): void {
  const i = got.findIndex((row, i) => row !== want[i]);
  if (i >= 0 || got.length !== want.length) {
    const at = i >= 0 ? i : Math.min(got.length, want.length);
    assert.fail(
      `${what}: ${got.length} rows, expected ${want.length}; row ${at} is ${got[at]}, expected ${
        want[at]
      }`,
    );
  }
}

async function check(
  p: TempProject,
  path: string,
  bytes: Uint8Array,
  options: TicOptions = {},
): Promise<void> {
  const text = new TextDecoder().decode(bytes[0] === 0x1f ? gunzipSync(bytes) : bytes);
  const summary = await landTic(p.config, path, { db: p.db, ...options });
  assert.equal(summary.status, "complete", summary.error ?? "");
  const want = reference(JSON.parse(text.replace(/^\uFEFF/, "")));
  const got = await landed(p.db, summary.indexId);
  for (const table of ["plans", "files", "links"] as const) {
    sameRows(got[table], want[table], `${path}: ${table}`);
  }
  assert.deepEqual(
    [summary.plans, summary.files, summary.links],
    [want.plans.length, want.files.length, want.links.length],
  );
}

Deno.test("real indexes land exactly the rows a plain JSON reading gives: Anthem in both layouts, one structure alone, CMS samples, structures by name", async () => {
  await using p = await tempProject();
  for (
    const path of [
      "serif/anthem_2023-04_index_excerpt.compact-lines.json.gz",
      "serif/anthem_2023-04_index_excerpt.pretty.json.gz",
      "serif/anthem_2023-04_reporting_structure_0.json",
      "tic/cms-v1.3.3/table-of-contents-sample.json",
      "tic/cms-v2.2.0/table-of-contents-sample.json",
      "tic/payers/lifewise_2025-05-01_index.annotated.json",
    ]
  ) {
    await check(p, join(REAL, path), await Deno.readFile(join(REAL, path)));
  }
});

/** Plan field values and file references that exercise every way text is handed to DuckDB. */
const VALUES = [
  `"PLAIN NAME"`,
  `"A \\"Q\\" \\\\ \\/ B"`,
  `"tab\\there"`,
  `"nl\\nx\\r\\b\\f"`,
  `"\\u0041\\u00e9\\ud83d\\ude00"`,
  `"lone \\ud800 x"`,
  `"us \\u001f rs \\u001e nul \\u0000"`,
  `"\\u0002"`,
  `""`,
  `"   "`,
  `"Café Ünïcode 日本語"`,
  `12345678901234567890`,
  `-0`,
  `1.5e3`,
  `true`,
  `null`,
  `{"a":[1]}`,
  `[1,"x"]`,
  `" EIN\\t"`,
];
const LOCATIONS = [
  "https://a.example.com/d/f one.json?s=1",
  "https://b.example.com/d/f%20one.json?s=2",
  "https:\\/\\/c.example.com\\/d\\/f one.json",
  "  https://a.example.com/d/trim.json  ",
  "https://a.example.com/d/x.json#frag",
  "https://a.example.com",
  "relative/d/f.json?next=https://x/y",
  "a:/b://host/d/g.json",
  "https://a.example.com/caf\\u00e9.json",
  "https://a.example.com/café.json",
  "https://a.example.com/ctl\\u001fx.json",
  "https://a.example.com/lone\\ud800.json",
  "https://a.example.com/%E2%82%AC.json",
  "",
  "   ",
];

/**
 * A document of `n` structures cycling through {@linkcode VALUES} and
 * {@linkcode LOCATIONS}, with multibyte text everywhere, so that with
 * enough structures chunk boundaries fall inside keys, escapes and
 * characters.
 */
function trickyIndex(n: number): string {
  const v = (i: number) => VALUES[i % VALUES.length]!;
  const lines: string[] = [];
  for (let e = 0; e < n; e++) {
    const plans = [0, 1, 2].map((p) =>
      `{"plan_name":${v(e + p)},"plan_id":${v(e * 3 + p)},"plan_id_type":${
        v(e * 5 + p)
      },"plan_market_type":${v(e * 7 + p)},"plan_sponsor_name":"ñ ${e}","issuer_name":${
        v(e * 11 + p)
      }}`
    );
    const files = [0, 1, 2, 3].map((f) => {
      const location = LOCATIONS[(e + f * 4) % LOCATIONS.length]!;
      const description = v(e + f);
      return f % 2
        ? `{"location":"${location}","description":${description}}`
        : `{"description":${description},"location":"${location}"}`;
    });
    const layout = e % 3 === 0 ? " " : "";
    lines.push(
      `{"reporting_plans":[${plans.join(`,${layout}`)}],${layout}"in_network_files":[${
        files.slice(0, 3).join(",")
      }],"allowed_amount_file${e % 2 ? "s" : ""}":${files[3]}}`,
    );
  }
  return `{"reporting_entity_name":"Tricky \\u00c9","reporting_structure":[\n${
    lines.join(",\n")
  }\n],"version":"1.0"}`;
}

Deno.test("text of every kind lands exactly, across chunk boundaries: escapes, control characters, lone surrogates, multibyte characters, numbers, nulls, odd URLs", async () => {
  await using p = await tempProject();
  // 6,000 structures of about 1.7 KB: some 10 MB, so that chunk
  // boundaries fall at a score of places inside structures.
  const bytes = gzip(trickyIndex(6_000));
  const path = await p.write("tricky.json.gz", bytes);
  await check(p, path, bytes);
  // Not gzipped: the chunks are the reads of the file.
  const plain = await p.write("tricky.json", trickyIndex(3_000));
  await check(p, plain, await Deno.readFile(plain));
});

Deno.test("rows land exactly when each table's segments are a few rows: rows of links split between segments, plain and escaped rows in one segment", async () => {
  await using p = await tempProject();
  const tricky = gzip(trickyIndex(400));
  await check(p, await p.write("tricky.json.gz", tricky), tricky, { rowGroup: 7 });
  // Structures of up to 40 distinct files each, some shared.
  const lines = Array.from(
    { length: 300 },
    (_, e) =>
      `{"reporting_plans":[{"plan_name":"P${e}","plan_id":"${e}"}],"in_network_files":[${
        Array.from(
          { length: e % 41 },
          (_, f) => `{"description":"d","location":"https://h/${e % 3 ? e : 0}/${f}.json?s=${e}"}`,
        ).join(",")
      }]}`,
  );
  const wide = gzip(`{"reporting_structure":[${lines.join(",\n")}]}`);
  await check(p, await p.write("wide.json.gz", wide), wide, { rowGroup: 5 });
});
