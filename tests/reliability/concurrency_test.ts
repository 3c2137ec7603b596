import "./concurrency_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("concurrency");
