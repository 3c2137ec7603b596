import "./api_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("api");
