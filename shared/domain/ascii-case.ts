/**
 * Case folding of ASCII letters only, for codes and identifiers typed by people. Unicode's own
 * folding would read "ß" as "SS", the dotless "ı" as "I" and the Kelvin sign as "k": text nobody
 * typed as a code would pass for one.
 */
export const asciiUpper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());
export const asciiLower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
