/**
 * ISO reference codes: ISO 3166-1 alpha-2 country codes and ISO 4217
 * currency codes with their minor-unit digits.
 *
 * These are static lists on purpose. Validation has to be exact and work
 * offline, and the runtime's Intl/ICU data can't be trusted for it: it
 * includes non-ISO regions (e.g. XK, EU, UN, 419) and historic currencies,
 * and its fraction digits sometimes differ from ISO's minor units.
 *
 * Sources: ISO 3166-1 officially assigned codes (249); ISO 4217 List One
 * through Amendment 180 (1 Jan 2026; adds XCG, XAD and ZWG, withdraws ANG,
 * BGN, CUC, SLL and ZWL). Codes whose minor unit is "N.A." (XAU, XAG, XPD,
 * XPT, XDR, XSU, XUA, XBA-XBD, XTS, XXX) are left out.
 */

const COUNTRY_SOURCE =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ ' +
  'BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ ' +
  'DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY ' +
  'HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY ' +
  'MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ ' +
  'NA NC NE NF NG NI NL NO NP NR NU NZ OM ' +
  'PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ ' +
  'TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ ' +
  'VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW';

/** `digits:CODE CODE ...` groups separated by `;`. */
const CURRENCY_SOURCE =
  '0:BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF;' +
  '3:BHD IQD JOD KWD LYD OMR TND;' +
  '4:CLF UYW;' +
  '2:AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL ' +
  'BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK ' +
  'DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG ' +
  'HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD ' +
  'MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK ' +
  'NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD ' +
  'SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH ' +
  'USD USN UYU UZS VED VES WST XAD XCD XCG YER ZAR ZMW ZWG';

export const COUNTRY_CODES: ReadonlySet<string> = new Set(COUNTRY_SOURCE.split(' '));

export const CURRENCIES: ReadonlyMap<string, number> = new Map(
  CURRENCY_SOURCE.split(';').flatMap((group) => {
    const [digits = '', codes = ''] = group.split(':');
    return codes.split(' ').map((code): [string, number] => [code, Number(digits)]);
  }),
);

/** Exact, case-sensitive check against the assigned ISO 3166-1 alpha-2 codes. */
export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

/** ISO 4217 minor-unit digits for an active currency code, else undefined. */
export function currencyMinorUnits(code: string): number | undefined {
  return CURRENCIES.get(code);
}
