/**
 * Landing's section of `wharf.config.ts`: `sources`, the file-name patterns
 * and the raw tables they land in, in landing order.
 *
 * @module
 */
import type { ConfigSection, EngineConfig } from "../engine/config.ts";
import { compileSources, type Source, type SourceConfig } from "./sources.ts";

/** What a project may set for landing. */
export interface LandSettings {
  /** Landing sources: file-name patterns and the raw tables they land in, in landing order. */
  sources?: SourceConfig[];
}

/** A project's configuration as landing reads it. */
export interface LandConfig extends EngineConfig {
  sources: Source[];
}

/** Resolves `sources` (see {@linkcode compileSources}). */
export const landSection: ConfigSection<"sources", SourceConfig[], Source[]> = {
  key: "sources",
  resolve: (raw) => compileSources(raw),
};
