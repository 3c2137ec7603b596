/**
 * `min`: the smallest figure of each field.
 *
 * @module
 */
import { perField, type Strategy } from "../strategies.ts";

/** The smallest value of each field. */
export const min: Strategy = (answers) => perField(answers, (v) => Math.min(...v));
