/**
 * NPI check digits: the Luhn algorithm over `80840` followed by the NPI's
 * first nine digits.
 *
 * @module
 */

/**
 * The check digit for the first nine digits of an NPI.
 *
 * @example
 * ```ts
 * import { npiCheckDigit } from "./npi_check.ts";
 * npiCheckDigit("123456789"); // 3, so 1234567893 is valid
 * ```
 */
export function npiCheckDigit(first9: string): number {
  const digits = `80840${first9}`;
  let sum = 0;
  // Double every second digit from the right, starting with the rightmost (the check digit is appended after).
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(digits[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `npi` is ten digits with a valid check digit. */
export function isValidNpi(npi: string): boolean {
  return /^\d{10}$/.test(npi) && npiCheckDigit(npi.slice(0, 9)) === Number(npi[9]);
}
