import assert from "node:assert/strict";
import {
  FileRegistry,
  type FileSink,
  plainFileText,
  type TicFile,
  urlKey,
} from "../../src/tic/files.ts";
import {
  IndexReader,
  PLAN_KEYS,
  planField,
  ScanError,
  type StructureRead,
} from "../../src/tic/reader.ts";

/** A plan as the reader hands it over (fields as written; schema v2's only where there). */
interface Plan {
  plan_name: string | null;
  plan_id: string | null;
  plan_id_type: string | null;
  plan_market_type: string | null;
  plan_sponsor_name?: string;
  issuer_name?: string;
}

interface Read {
  structures: { offset: number; plans: Plan[]; planCount: number; fileIds: number[] }[];
  files: TicFile[];
  fields: Record<string, unknown>;
}

function plans(st: Readonly<StructureRead>): Plan[] {
  return Array.from({ length: st.planCount }, (_, i) => {
    const [plan_name, plan_id, plan_id_type, plan_market_type, plan_sponsor_name, issuer_name] =
      PLAN_KEYS.map((_, k) => planField(st, i, k));
    return {
      plan_name,
      plan_id,
      plan_id_type,
      plan_market_type,
      ...(plan_sponsor_name === null ? {} : { plan_sponsor_name }),
      ...(issuer_name === null ? {} : { issuer_name }),
    } as Plan;
  });
}

/** Reads `chunks` as one index and returns everything the reader reported. */
function read(chunks: Uint8Array[]): Read {
  const out: Read = { structures: [], files: [], fields: {} };
  const registry = new FileRegistry(textFileSink((f) => out.files.push(f)));
  const reader = new IndexReader(registry, {
    onField: (k, v) => (out.fields[k] = v),
    onStructure: (st) =>
      out.structures.push({
        offset: st.offset,
        plans: plans(st),
        planCount: st.planCount,
        fileIds: [...st.fileIds],
      }),
  });
  for (const c of chunks) reader.push(c);
  reader.end();
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);
const readText = (s: string) => read([enc(s)]);

const DOC = `\uFEFF{ "reporting_entity_name" : "Esc \\"quoted\\" \\\\ back\\\\slash \\u00e9 é",
 "n": -1.5e3, "ok": true, "none": null, "nested": {"a": [1, [2, {"b": "]}"}]]},
 "reporting_structure" : [
{"reporting_plans":[{"plan_name":"A \\\\\\"x","plan_id":"1"}],"in_network_files":[{"location":"https://h/p?a=1&b=\\"}"}]},
{"reporting_plans":[],"deep":[[[[[]]]]],"s":"{[\\\\"},
],
"version": "1.0.0"}
`;

/** A sink that hands every file over as text. */
function textFileSink(onFile: (file: TicFile) => void): FileSink {
  return { plain: (f) => onFile(plainFileText(f)), file: onFile };
}

/** The id of the file whose location is `buf[ls, le)`, as the reader finds it: find, then add. */
function resolve(
  registry: FileRegistry,
  kind: 0 | 1,
  buf: Uint8Array,
  ls: number,
  le: number,
): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const known = registry.find(kind, buf.subarray(0, le + 1), view, ls);
  if (known > 0) return known;
  return registry.add(kind, buf, view, {
    ls,
    le,
    ds: -1,
    de: -1,
    prefixEnd: registry.prefixEnd,
    keyStart: registry.keyStart,
    prefixHash: registry.prefixHash,
  });
}

Deno.test("the reader reads escapes, unicode, nested arrays, trailing commas and fields after the array", () => {
  const r = readText(DOC);
  assert.deepEqual(r.structures, [
    {
      offset: r.structures[0]!.offset,
      plans: [{ plan_name: 'A \\"x', plan_id: "1", plan_id_type: null, plan_market_type: null }],
      planCount: 1,
      fileIds: [1],
    },
    { offset: r.structures[1]!.offset, plans: [], planCount: 0, fileIds: [] },
  ]);
  assert.deepEqual(r.files, [{
    id: 1,
    kind: "in_network",
    key: "/p",
    url: 'https://h/p?a=1&b="}',
    host: "h",
    fileName: "p",
    description: null,
  }]);
  assert.deepEqual(r.fields, {
    reporting_entity_name: 'Esc "quoted" \\ back\\slash é é',
    n: -1500,
    ok: true,
    none: null,
    nested: { a: [1, [2, { b: "]}" }]] },
    version: "1.0.0",
  });
});

Deno.test("the reader gives the same result whatever the chunk boundaries: every split point, and byte by byte", () => {
  const bytes = enc(DOC);
  const whole = read([bytes]);
  for (let at = 0; at <= bytes.length; at++) {
    assert.deepEqual(read([bytes.slice(0, at), bytes.slice(at)]), whole, `split at ${at}`);
  }
  assert.deepEqual(read([...bytes].map((b) => new Uint8Array([b]))), whole);
});

Deno.test("a truncated index fails with the byte offset where it ends", () => {
  const bytes = enc(DOC);
  for (
    const cut of [
      6,
      40,
      bytes.indexOf(enc("reporting_plans")[0]!, 200),
      bytes.length - 30,
      bytes.length - 3,
    ]
  ) {
    assert.throws(() => read([bytes.slice(0, cut)]), (e: unknown) => {
      assert.ok(e instanceof ScanError);
      assert.equal(e.offset, cut);
      assert.match(
        e.message,
        /^truncated index: it ends inside .* at byte offset \d+ of the JSON text$/,
      );
      return true;
    }, `cut at ${cut}`);
  }
  assert.throws(
    () => read([]),
    /^ScanError: empty input: no index object at byte offset 0 of the JSON text$/,
  );
});

Deno.test("a syntax error fails with its byte offset, inside a structure too", () => {
  const fails = (doc: string, offset: number, message: RegExp) =>
    assert.throws(
      () => readText(doc),
      (e: unknown) => e instanceof ScanError && e.offset === offset && message.test(e.message),
      doc,
    );
  fails('{"a": 1 "b": 2}', 8, /expected "," or "}"/);
  fails('{"reporting_structure": [{"a": tru}]}', 31, /expected "true"/);
  fails('{"reporting_structure": [{"a" 1}]}', 30, /expected ":" after a key/);
  fails('{"reporting_structure": [{"a": 1,}]}', 33, /expected a key in an object, found "}"/);
  fails(
    '{"reporting_structure": [{"in_network_files": [{"location": "x"} {}]}]}',
    65,
    /expected "," or "]"/,
  );
  fails('{"reporting_structure": [{"a": 01}]}', 32, /expected "," or "}" in a reporting structure/);
  fails(
    '{"reporting_structure": [{"reporting_plans": {"plan_name": "\\x"}}]}',
    60,
    /invalid string \(a bad escape \\x\)/,
  );
  // Inside reporting_plans every string is checked (they may go to DuckDB as written)…
  fails(
    '{"reporting_structure": [{"reporting_plans": [{"sponsor": "\\q"}]}]}',
    59,
    /invalid string \(a bad escape \\q\)/,
  );
  fails(
    '{"reporting_structure": [{"reporting_plans": [{"plan_name": "a\tb"}]}]}',
    62,
    /invalid string \(a raw control character/,
  );
  // …elsewhere the contents of strings the reader skips are not (documented).
  assert.equal(readText('{"reporting_structure": [{"other": "\\x"}]}').structures.length, 1);
  fails(
    `{"reporting_structure": [{"x": ${"[".repeat(600)}${"]".repeat(600)}}]}`,
    542,
    /values nested deeper than 512/,
  );
  fails("[1, 2]", 0, /expected "\{" to open the index, found "\["/);
  fails('{"a": 1} x', 9, /unexpected "x" after the end of the index/);
});

Deno.test("a 2 MB element, split into small chunks, is read whole with its offset", () => {
  const long = "x".repeat(2 * 1024 * 1024);
  const doc = enc(
    `{"reporting_structure":[{"a":1},\n{"reporting_plans":[{"plan_name":"${long}"}],"tail":[1,2]}]}`,
  );
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < doc.length; i += 4093) chunks.push(doc.slice(i, i + 4093));
  const r = read(chunks);
  assert.deepEqual(r.structures.map((s) => s.offset), [24, 33]);
  assert.equal(r.structures[1]!.plans[0]!.plan_name!.length, long.length);
});

Deno.test("structures are made regular: singular or plural, lists or objects, unreadable parts left out", () => {
  const r = readText(`{"reporting_structure":[{
    "reporting_plans": {"plan_name": "ONE", "plan_id": 123456789, "plan_id_type": " EIN ", "plan_market_type": "GROUP", "plan_sponsor_name": "x"},
    "in_network_files": [
      {"location": "https://h/a.json", "description": 7},
      {"location": 42, "description": "not a URL"},
      {"description": "no location"},
      {"location": "   "},
      "not an object",
      {"location": "https://h/b.json", "location": "https://h/c.json"}
    ],
    "allowed_amount_file": {"location": "https://h/oon.json", "description": null},
    "allowed_amount_files": [{"location": "https://h/oon.json"}]
  }, {
    "reporting_plans": [{"plan_name": "REPLACED"}],
    "reporting_plans": [{"plan_name": "LAST ONE WINS", "plan_id_type": "Hios", "extra": {"a": [1]}}],
    "in_network_files": {"l\\u006fcation": "https://h/a.json?sig=other"}
  }, {
    "reporting_plans": [{"plan_name": {"nested": 1}, "plan_id": null}, 5, {"plan_n\\u0061me": "ESC\\u0041PED"}]
  }]}`);
  assert.deepEqual(r.structures.map((s) => [s.plans, s.planCount, s.fileIds]), [
    [
      [{
        plan_name: "ONE",
        plan_id: "123456789",
        plan_id_type: " EIN ",
        plan_market_type: "GROUP",
        plan_sponsor_name: "x",
      }],
      1,
      [1, 2, 3],
    ],
    [
      [{ plan_name: "LAST ONE WINS", plan_id: null, plan_id_type: "Hios", plan_market_type: null }],
      1,
      [1],
    ],
    [
      [
        { plan_name: null, plan_id: null, plan_id_type: null, plan_market_type: null },
        { plan_name: "ESCAPED", plan_id: null, plan_id_type: null, plan_market_type: null },
      ],
      2,
      [],
    ],
  ]);
  assert.deepEqual(r.files.map((f) => [f.id, f.kind, f.key, f.description]), [
    [1, "in_network", "/a.json", "7"],
    [2, "in_network", "/c.json", null],
    [3, "allowed_amount", "/oon.json", null],
  ]);
});

Deno.test("the compact layout (matched byte for byte) and any other layout read the same", () => {
  const structure = {
    reporting_plans: [{
      plan_name: "P",
      plan_id_type: "EIN",
      plan_id: "1",
      plan_market_type: "group",
    }],
    in_network_files: [
      { description: "first", location: "https://a/x.json?s=1" },
      { location: "https://a/y.json", description: "order swapped" },
      { description: 'esc "q"', location: "https:\/\/b\/x.json" },
      { description: "", location: "https://c/z%20z.json" },
    ],
  };
  const doc = (json: string) => `{"reporting_structure":[${json}]}`;
  const compact = readText(doc(JSON.stringify(structure)));
  const pretty = readText(doc(JSON.stringify(structure, null, 2)));
  const escaped = readText(doc(JSON.stringify(structure).replaceAll("/", "\\/")));
  const strip = (r: Read) => ({ ...r, structures: r.structures.map((s) => ({ ...s, offset: 0 })) });
  assert.deepEqual(strip(pretty), strip(compact));
  assert.deepEqual(strip(escaped), strip(compact));
  assert.deepEqual(compact.files.map((f) => [f.key, f.description]), [
    ["/x.json", "first"],
    ["/y.json", "order swapped"],
    ["/z z.json", ""],
  ]);
  assert.deepEqual(compact.structures[0]!.fileIds, [1, 2, 3], "a file linked twice is linked once");
});

Deno.test("a file holding one reporting structure alone is read as one structure", () => {
  const r = readText(
    `{"reporting_plans":[{"plan_name":"SOLO","plan_id":"9"}],"in_network_files":[{"description":"d","location":"https://h/solo.json"}],"version":"1.0"}`,
  );
  assert.equal(r.structures.length, 1);
  assert.deepEqual(r.structures[0]!.plans.map((p) => p.plan_name), ["SOLO"]);
  assert.deepEqual(r.files.map((f) => f.key), ["/solo.json"]);
  assert.deepEqual(r.fields, { version: "1.0" });
});

Deno.test("files are deduplicated by kind and path, across hosts, signatures, escapes and percent-encoding", () => {
  const files: TicFile[] = [];
  const registry = new FileRegistry(textFileSink((f) => files.push(f)));
  const ids = [
    "https://a.example.com/d/f%20one.json.gz?Signature=1",
    "https://b.example.com/d/f%20one.json.gz?Signature=2",
    "https:\\/\\/c.example.com\\/d\\/f one.json.gz",
    "  https://a.example.com/d/f%20one.json.gz  ",
    "https://a.example.com/d/other.json.gz#frag",
    "https://a.example.com/d/other.json.gz",
  ].map((location) => {
    const bytes = enc(`"${location}"`);
    return resolve(registry, 0, bytes, 1, bytes.length - 1);
  });
  assert.deepEqual(ids, [1, 1, 1, 1, 2, 2]);
  const bytes = enc('"https://a.example.com/d/other.json.gz"');
  assert.equal(
    resolve(registry, 1, bytes, 1, bytes.length - 1),
    3,
    "the same path as allowed amounts is another file",
  );
  assert.deepEqual(files.map((f) => [f.id, f.kind, f.key, f.host]), [
    [1, "in_network", "/d/f one.json.gz", "a.example.com"],
    [2, "in_network", "/d/other.json.gz", "a.example.com"],
    [3, "allowed_amount", "/d/other.json.gz", "a.example.com"],
  ]);
});

Deno.test("urlKey() drops scheme, host and signed query, and only a scheme before the query counts", () => {
  assert.deepEqual(urlKey("https://h.example.com/a/b%20c.json.gz?sig=1#x"), {
    key: "/a/b c.json.gz",
    host: "h.example.com",
  });
  assert.deepEqual(urlKey("https://h.example.com"), { key: "/", host: "h.example.com" });
  assert.deepEqual(urlKey("relative/file.json?x"), { key: "relative/file.json", host: "" });
  assert.deepEqual(urlKey("relative/file.json?next=https://x/y"), {
    key: "relative/file.json",
    host: "",
  });
});

Deno.test("reporting_structure written as an object of structures by name is read the same at every split point", () => {
  const doc = enc(`{"reporting_entity_type":"x","reporting_structure":{
    "Primary": {"reporting_plans":[{"plan_name":"A","plan_id":"1"}],"in_network_files":[{"description":"d","location":"https://h/a.json"}]},
    "HIOS Plan?": {"reporting_plans":[{"plan_name":"B"},{"plan_name":"C"}],"allowed_amount_file":{"description":"oon","location":"https://h/oon.json"}},
  },"reporting_entity_name":"n"}`);
  const whole = read([doc]);
  assert.deepEqual(whole.structures.map((s) => [s.plans.map((p) => p.plan_name), s.fileIds]), [
    [["A"], [1]],
    [["B", "C"], [2]],
  ]);
  assert.deepEqual(whole.fields, { reporting_entity_type: "x", reporting_entity_name: "n" });
  for (let at = 0; at <= doc.length; at++) {
    assert.deepEqual(read([doc.slice(0, at), doc.slice(at)]), whole, `split at ${at}`);
  }
  assert.throws(
    () => read([enc('{"reporting_structure":{"Primary": {"a": 1} "B": {}}}')]),
    /expected "," or "}" after an element of "reporting_structure", found """ at byte offset 44 of the JSON text$/,
  );
  assert.throws(
    () => read([enc('{"reporting_structure":[{"a": 1}\n{"b": 2}]}')]),
    /expected "," or "]" after an element of "reporting_structure", found "\{" at byte offset 33 of the JSON text$/,
  );
});

Deno.test("files read from their bytes are the files urlKey() makes of their text, in any order of forms", () => {
  // Forms of the same few files: plain, escaped, percent-encoded, on other
  // hosts, with spaces to trim, without a scheme, without a path.
  const forms = [
    "https://a.example.com/d/f one.json?s=1",
    "https://b.example.com/d/f%20one.json?s=2",
    "https:\\/\\/c.example.com\\/d\\/f one.json",
    " https://a.example.com/d/f one.json",
    "https://a.example.com/d/f one.json ",
    "https://a.example.com/d/f one.json #x",
    "https://a.example.com/d/f%2520one.json",
    "https://a.example.com/d/f%20one.json",
    "https://a.example.com/d/\\u0066 one.json",
    "http://a.example.com:8080/d/f one.json",
    "https://user@a.example.com/d/f one.json?next=https://x/y",
    "https://a.example.com",
    "https://a.example.com?x=1",
    "https://a.example.com/",
    "https:///d/f one.json",
    "relative/d/f one.json?x",
    "relative/d/f%20one.json",
    "a:/b://host/d/f one.json",
    "https://a.example.com/caf\\u00e9.json",
    "https://a.example.com/café.json",
    "https://a.example.com/caf%C3%A9.json",
    "https://a.example.com/d/F ONE.json",
    "https://a.example.com/d/f one.json\\t",
    "https://a.example.com/d/tab\there.json",
    "",
    "?only=query",
    "#only-fragment",
  ];
  const reference = new Map<string, number>();
  const expected = (kind: 0 | 1, location: string) => {
    // A raw control character passes, as everywhere outside plans.
    const text = location.includes("\\") ? JSON.parse(`"${location}"`) as string : location;
    const url = text.trim();
    if (!url) return -1;
    const key = `${kind} ${urlKey(url).key}`;
    if (!reference.has(key)) reference.set(key, reference.size + 1);
    return reference.get(key)!;
  };
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 20; round++) {
    reference.clear();
    const files: TicFile[] = [];
    const registry = new FileRegistry(textFileSink((f) => files.push(f)));
    const order = forms.flatMap((f) => [f, f]).sort(() => random() - 0.5);
    for (const location of order) {
      const kind = random() < 0.2 ? 1 : 0;
      // At an odd offset, after other bytes, as references are read.
      const bytes = enc(`xy"${location}"}`);
      const id = resolve(registry, kind, bytes, 3, bytes.length - 2);
      assert.equal(id, expected(kind, location), `${location} (round ${round})`);
    }
    for (const f of files) {
      const { key, host } = urlKey(f.url);
      assert.deepEqual([f.key, f.host, f.fileName], [
        key,
        host,
        key.slice(key.lastIndexOf("/") + 1),
      ]);
    }
  }
});
