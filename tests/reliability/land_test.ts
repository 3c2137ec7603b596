import "./land_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("land");
