import assert from "node:assert/strict";
import { closest, nameDistance } from "../src/engine/suggest.ts";

/** The healthcare project's sources, in the order the ingest API lists them. */
const SOURCES = [
  "membership_client_a",
  "membership_client_b",
  "claims_client_a",
  "claims_client_b",
  "benefits",
];

Deno.test("closest() counts case and word separators little: claims_clientB means claims_client_b, not the first source as near in letters", () => {
  assert.equal(closest("claims_clientB", SOURCES), "claims_client_b");
  assert.equal(closest("claims_clientB", [...SOURCES].reverse()), "claims_client_b");
  assert.equal(closest("claims-client-b", SOURCES), "claims_client_b");
  assert.equal(closest("CLAIMS_CLIENT_B", SOURCES), "claims_client_b");
  assert.equal(closest("ClaimsClientA", SOURCES), "claims_client_a");
  assert.equal(closest("membership_clientB", SOURCES), "membership_client_b");
  // Letters still decide: a typo is a typo, a different name is none.
  assert.equal(closest("claims_clint_b", SOURCES), "claims_client_b");
  assert.equal(closest("benefit", SOURCES), "benefits");
  assert.equal(closest("visits", SOURCES), undefined);
  assert.equal(closest("claims", SOURCES), "claims_client_a");
});

Deno.test("nameDistance() charges a letter 1 and a change of case or separator an eighth", () => {
  assert.equal(nameDistance("", ""), 0);
  assert.equal(nameDistance("abc", ""), 3);
  assert.equal(nameDistance("a_b", ""), 2.125);
  assert.equal(nameDistance("stg_membrs", "stg_members"), 1);
  assert.equal(nameDistance("stg-members", "stg_members"), 0.125);
  assert.equal(nameDistance("StgMembers", "stg_members"), 0.375);
  assert.equal(nameDistance("claims_clientB", "claims_client_b"), 0.25);
  assert.equal(nameDistance("claims_clientB", "claims_client_a"), 1.125);
  assert.equal(nameDistance("kitten", "sitting"), 3);
});
