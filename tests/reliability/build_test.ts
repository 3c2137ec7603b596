import "./build_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("build");
