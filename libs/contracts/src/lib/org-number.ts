const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;

/**
 * True for a Norwegian organisation number: exactly 9 ASCII digits whose last digit is the mod-11 check digit over
 * the first eight with weights 3,2,7,6,5,4,3,2 (a remainder that would need check digit 10 is never valid).
 * Synthetic test numbers such as 311000004 and 312000008 pass; so does any real one.
 */
export function isValidOrganisationNumber(orgnr: string): boolean {
  if (typeof orgnr !== 'string' || !/^[0-9]{9}$/.test(orgnr)) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (orgnr.charCodeAt(i) - 48) * WEIGHTS[i];
  const remainder = sum % 11;
  const check = remainder === 0 ? 0 : 11 - remainder;
  return check !== 10 && check === orgnr.charCodeAt(8) - 48;
}
