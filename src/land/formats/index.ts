/**
 * The file formats wharf lands, in the order messages list them. A new one
 * is a module beside these (see `format.ts`) added here.
 *
 * @module
 */
import { extname } from "node:path";
import { csv } from "./csv.ts";
import { json } from "./json.ts";
import { ndjson } from "./ndjson.ts";
import { xlsx } from "./xlsx.ts";

/** Every format. */
export const FORMATS = [csv, json, ndjson, xlsx] as const;

/** A registered format. */
export type Format = (typeof FORMATS)[number];

/** The name of a format (a source's `format`). */
export type FormatName = Format["name"];

/** The format named `name`, if there is one. */
export function findFormat(name: string): Format | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The format a file name implies by its extension, a trailing `.gz` aside. */
export function formatOfName(name: string): Format | undefined {
  const ext = extname(name.toLowerCase().replace(/\.gz$/, ""));
  return FORMATS.find((f) => f.extensions.includes(ext));
}
