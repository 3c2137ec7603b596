import assert from "node:assert/strict";
import { IndexScanner, ScanError } from "../../src/tic/scanner.ts";

function scan(chunks: Uint8Array[]) {
  const elements: unknown[] = [];
  const fields: Record<string, unknown> = {};
  const offsets: number[] = [];
  const s = new IndexScanner({
    onElement: (_k, e, offset) => {
      elements.push(e);
      offsets.push(offset);
    },
    onField: (k, v) => (fields[k] = v),
  });
  for (const c of chunks) s.push(c);
  s.end();
  return { elements, fields, offsets };
}

const enc = (s: string) => new TextEncoder().encode(s);

const DOC = `\uFEFF{ "reporting_entity_name" : "Esc \\"quoted\\" \\\\ back\\\\slash \\u00e9 é",
 "n": -1.5e3, "ok": true, "none": null, "nested": {"a": [1, [2, {"b": "]}"}]]},
 "reporting_structure" : [
{"reporting_plans":[{"plan_name":"A \\\\\\"x","plan_id":"1"}],"in_network_files":[{"location":"https://h/p?a=1&b=\\"}"}]},
{"reporting_plans":[],"deep":[[[[[]]]]],"s":"{[\\\\"},
],
"version": "1.0.0"}
`;

Deno.test("the scanner reads escapes, unicode, nested arrays, trailing commas and fields after the array", () => {
  const { elements, fields } = scan([enc(DOC)]);
  assert.equal(elements.length, 2);
  assert.deepEqual(elements[0], {
    reporting_plans: [{ plan_name: 'A \\"x', plan_id: "1" }],
    in_network_files: [{ location: 'https://h/p?a=1&b="}' }],
  });
  assert.deepEqual(elements[1], { reporting_plans: [], deep: [[[[[]]]]], s: "{[\\" });
  assert.deepEqual(fields, {
    reporting_entity_name: 'Esc "quoted" \\ back\\slash é é',
    n: -1500,
    ok: true,
    none: null,
    nested: { a: [1, [2, { b: "]}" }]] },
    version: "1.0.0",
  });
});

Deno.test("the scanner gives the same result whatever the chunk boundaries: every split point, and byte by byte", () => {
  const bytes = enc(DOC);
  const whole = scan([bytes]);
  for (let at = 0; at <= bytes.length; at++) {
    assert.deepEqual(scan([bytes.slice(0, at), bytes.slice(at)]), whole, `split at ${at}`);
  }
  assert.deepEqual(scan([...bytes].map((b) => new Uint8Array([b]))), whole);
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
    assert.throws(() => scan([bytes.slice(0, cut)]), (e: unknown) => {
      assert.ok(e instanceof ScanError);
      assert.equal(e.offset, cut);
      assert.match(e.message, /^truncated index: it ends inside .* at byte \d+$/);
      return true;
    }, `cut at ${cut}`);
  }
  assert.throws(() => scan([]), /empty input: no index object at byte 0/);
});

Deno.test("a syntax error fails with its byte offset", () => {
  assert.throws(
    () => scan([enc('{"a": 1 "b": 2}')]),
    (e: unknown) =>
      e instanceof ScanError && e.offset === 8 && /expected "," or "}"/.test(e.message),
  );
  assert.throws(
    () => scan([enc('{"reporting_structure": [{"a": tru}]}')]),
    (e: unknown) =>
      e instanceof ScanError && e.offset === 25 &&
      /invalid JSON in an element of "reporting_structure"/.test(e.message),
  );
  assert.throws(
    () => scan([enc("[1, 2]")]),
    /expected "\{" to open the index, found "\[" at byte 0/,
  );
  assert.throws(
    () => scan([enc('{"a": 1} x')]),
    /unexpected "x" after the end of the index at byte 9/,
  );
});

Deno.test("a 2 MB element, split into small chunks, is parsed whole with its offset", () => {
  const long = "x".repeat(2 * 1024 * 1024);
  const doc = enc(`{"reporting_structure":[{"a":1},\n{"big":"${long}","tail":[1,2]}]}`);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < doc.length; i += 4093) chunks.push(doc.slice(i, i + 4093));
  const { elements, offsets } = scan(chunks);
  assert.equal(elements.length, 2);
  assert.equal((elements[1] as { big: string }).big.length, long.length);
  assert.deepEqual((elements[1] as { tail: number[] }).tail, [1, 2]);
  assert.deepEqual(offsets, [24, 33]);
});
