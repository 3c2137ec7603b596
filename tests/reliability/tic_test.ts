import "./tic_cases.ts";
import { registerTests } from "./registry.ts";

registerTests("tic");
