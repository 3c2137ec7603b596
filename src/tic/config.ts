/**
 * Transparency in Coverage's section of `wharf.config.ts`: `tic`.
 *
 * @module
 */
import { type ConfigSection, type EngineConfig, refuseUnknownKeys } from "../engine/config.ts";
import { ConfigError } from "../engine/errors.ts";

/** Settings of `wharf tic`. */
export interface TicConfig {
  /**
   * URL of a payer's per-EIN lookup, `{ein}` standing for the nine-digit
   * EIN (e.g. `"https://…/anthem/{ein}.json"`): what `wharf tic lookup
   * --ein N` fetches. Default: none.
   */
  lookupUrl?: string;
}

/** What a project may set for Transparency in Coverage. */
export interface TicSettings {
  /** Transparency in Coverage. */
  tic?: TicConfig;
}

/** A project's configuration as the TiC commands read it. */
export interface TicJobConfig extends EngineConfig {
  tic: TicConfig;
}

/** Checks the `tic` section: known keys only, a lookup URL template with `{ein}`. */
function resolveTic(tic: TicConfig | undefined): TicConfig {
  if (tic === undefined) return {};
  if (typeof tic !== "object" || tic === null || Array.isArray(tic)) {
    throw new ConfigError(
      `Invalid "tic" in wharf.config.ts: expected an object, got ${JSON.stringify(tic)}`,
    );
  }
  refuseUnknownKeys(tic, ["lookupUrl"], { path: "tic", what: "the tic section" });
  const url = tic.lookupUrl;
  if (url !== undefined && (typeof url !== "string" || !/^https?:\/\/.*\{ein\}/i.test(url))) {
    throw new ConfigError(
      `Invalid "tic.lookupUrl" in wharf.config.ts: expected an http(s) URL with {ein} where the EIN goes (e.g. "https://…/anthem/{ein}.json"), got ${
        JSON.stringify(url)
      }`,
    );
  }
  return { lookupUrl: url };
}

/** Resolves `tic`. */
export const ticSection: ConfigSection<"tic", TicConfig, TicConfig> = {
  key: "tic",
  resolve: (raw) => resolveTic(raw),
};
