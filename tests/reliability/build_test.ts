import "./build_cases.ts";
import "./snapshot_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("build");
