/**
 * NPI enrichment's section of `wharf.config.ts`: `npi`.
 *
 * @module
 */
import { type ConfigSection, type EngineConfig, refuseUnknownKeys } from "../engine/config.ts";
import { ConfigError } from "../engine/errors.ts";

/** Settings of `wharf enrich npi`. */
export interface NpiSettings {
  /** Registry base URL. Default: the public CMS NPPES API. */
  registry?: string;
}

/** What a project may set for NPI enrichment. */
export interface EnrichSettings {
  /** NPI enrichment. */
  npi?: NpiSettings;
}

/** A project's configuration as NPI enrichment reads it. */
export interface EnrichConfig extends EngineConfig {
  npi: NpiSettings;
}

/** Resolves `npi`: known keys only, the registry an http(s) URL. */
export const npiSection: ConfigSection<"npi", NpiSettings, NpiSettings> = {
  key: "npi",
  resolve(raw) {
    if (raw === undefined) return {};
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new ConfigError(
        `Invalid "npi" in wharf.config.ts: expected an object, got ${JSON.stringify(raw)}`,
      );
    }
    refuseUnknownKeys(raw, ["registry"], { path: "npi", what: "the npi section" });
    if (raw.registry !== undefined && !/^https?:\/\//i.test(String(raw.registry))) {
      throw new ConfigError(
        `Invalid "npi.registry" in wharf.config.ts: expected an http(s) URL, got ${
          JSON.stringify(raw.registry)
        }`,
      );
    }
    return { registry: raw.registry };
  },
};
