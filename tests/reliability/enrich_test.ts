import "./enrich_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("enrich");
