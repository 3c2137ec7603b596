/**
 * `max`: the largest figure of each field.
 *
 * @module
 */
import { perField, type Strategy } from "../strategies.ts";

/** The largest value of each field. */
export const max: Strategy = (answers) => perField(answers, (v) => Math.max(...v));
