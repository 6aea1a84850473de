/**
 * The IANA time zone names, zones and links alike (tzdata 2025b, /usr/share/zoneinfo/tzdata.zi,
 * "Factory" left out), frozen here: a name is checked and spelled by this list, not by the
 * runtime's ICU, which resolves some names to older aliases (Asia/Kolkata to Asia/Calcutta) and
 * differently from one Node version to the next.
 */
import { asciiLower } from './ascii-case.ts';

const NAMES = (
  'Africa/Abidjan Africa/Accra Africa/Addis_Ababa Africa/Algiers Africa/Asmara Africa/Asmera ' +
  'Africa/Bamako Africa/Bangui Africa/Banjul Africa/Bissau Africa/Blantyre Africa/Brazzaville ' +
  'Africa/Bujumbura Africa/Cairo Africa/Casablanca Africa/Ceuta Africa/Conakry Africa/Dakar ' +
  'Africa/Dar_es_Salaam Africa/Djibouti Africa/Douala Africa/El_Aaiun Africa/Freetown ' +
  'Africa/Gaborone Africa/Harare Africa/Johannesburg Africa/Juba Africa/Kampala Africa/Khartoum ' +
  'Africa/Kigali Africa/Kinshasa Africa/Lagos Africa/Libreville Africa/Lome Africa/Luanda ' +
  'Africa/Lubumbashi Africa/Lusaka Africa/Malabo Africa/Maputo Africa/Maseru Africa/Mbabane ' +
  'Africa/Mogadishu Africa/Monrovia Africa/Nairobi Africa/Ndjamena Africa/Niamey Africa/Nouakchott ' +
  'Africa/Ouagadougou Africa/Porto-Novo Africa/Sao_Tome Africa/Timbuktu Africa/Tripoli ' +
  'Africa/Tunis Africa/Windhoek America/Adak America/Anchorage America/Anguilla America/Antigua ' +
  'America/Araguaina America/Argentina/Buenos_Aires America/Argentina/Catamarca ' +
  'America/Argentina/ComodRivadavia America/Argentina/Cordoba America/Argentina/Jujuy ' +
  'America/Argentina/La_Rioja America/Argentina/Mendoza America/Argentina/Rio_Gallegos ' +
  'America/Argentina/Salta America/Argentina/San_Juan America/Argentina/San_Luis ' +
  'America/Argentina/Tucuman America/Argentina/Ushuaia America/Aruba America/Asuncion ' +
  'America/Atikokan America/Atka America/Bahia America/Bahia_Banderas America/Barbados ' +
  'America/Belem America/Belize America/Blanc-Sablon America/Boa_Vista America/Bogota ' +
  'America/Boise America/Buenos_Aires America/Cambridge_Bay America/Campo_Grande America/Cancun ' +
  'America/Caracas America/Catamarca America/Cayenne America/Cayman America/Chicago ' +
  'America/Chihuahua America/Ciudad_Juarez America/Coral_Harbour America/Cordoba ' +
  'America/Costa_Rica America/Coyhaique America/Creston America/Cuiaba America/Curacao ' +
  'America/Danmarkshavn America/Dawson America/Dawson_Creek America/Denver America/Detroit ' +
  'America/Dominica America/Edmonton America/Eirunepe America/El_Salvador America/Ensenada ' +
  'America/Fort_Nelson America/Fort_Wayne America/Fortaleza America/Glace_Bay America/Godthab ' +
  'America/Goose_Bay America/Grand_Turk America/Grenada America/Guadeloupe America/Guatemala ' +
  'America/Guayaquil America/Guyana America/Halifax America/Havana America/Hermosillo ' +
  'America/Indiana/Indianapolis America/Indiana/Knox America/Indiana/Marengo ' +
  'America/Indiana/Petersburg America/Indiana/Tell_City America/Indiana/Vevay ' +
  'America/Indiana/Vincennes America/Indiana/Winamac America/Indianapolis America/Inuvik ' +
  'America/Iqaluit America/Jamaica America/Jujuy America/Juneau America/Kentucky/Louisville ' +
  'America/Kentucky/Monticello America/Knox_IN America/Kralendijk America/La_Paz America/Lima ' +
  'America/Los_Angeles America/Louisville America/Lower_Princes America/Maceio America/Managua ' +
  'America/Manaus America/Marigot America/Martinique America/Matamoros America/Mazatlan ' +
  'America/Mendoza America/Menominee America/Merida America/Metlakatla America/Mexico_City ' +
  'America/Miquelon America/Moncton America/Monterrey America/Montevideo America/Montreal ' +
  'America/Montserrat America/Nassau America/New_York America/Nipigon America/Nome America/Noronha ' +
  'America/North_Dakota/Beulah America/North_Dakota/Center America/North_Dakota/New_Salem ' +
  'America/Nuuk America/Ojinaga America/Panama America/Pangnirtung America/Paramaribo ' +
  'America/Phoenix America/Port-au-Prince America/Port_of_Spain America/Porto_Acre ' +
  'America/Porto_Velho America/Puerto_Rico America/Punta_Arenas America/Rainy_River ' +
  'America/Rankin_Inlet America/Recife America/Regina America/Resolute America/Rio_Branco ' +
  'America/Rosario America/Santa_Isabel America/Santarem America/Santiago America/Santo_Domingo ' +
  'America/Sao_Paulo America/Scoresbysund America/Shiprock America/Sitka America/St_Barthelemy ' +
  'America/St_Johns America/St_Kitts America/St_Lucia America/St_Thomas America/St_Vincent ' +
  'America/Swift_Current America/Tegucigalpa America/Thule America/Thunder_Bay America/Tijuana ' +
  'America/Toronto America/Tortola America/Vancouver America/Virgin America/Whitehorse ' +
  'America/Winnipeg America/Yakutat America/Yellowknife Antarctica/Casey Antarctica/Davis ' +
  'Antarctica/DumontDUrville Antarctica/Macquarie Antarctica/Mawson Antarctica/McMurdo ' +
  'Antarctica/Palmer Antarctica/Rothera Antarctica/South_Pole Antarctica/Syowa Antarctica/Troll ' +
  'Antarctica/Vostok Arctic/Longyearbyen Asia/Aden Asia/Almaty Asia/Amman Asia/Anadyr Asia/Aqtau ' +
  'Asia/Aqtobe Asia/Ashgabat Asia/Ashkhabad Asia/Atyrau Asia/Baghdad Asia/Bahrain Asia/Baku ' +
  'Asia/Bangkok Asia/Barnaul Asia/Beirut Asia/Bishkek Asia/Brunei Asia/Calcutta Asia/Chita ' +
  'Asia/Choibalsan Asia/Chongqing Asia/Chungking Asia/Colombo Asia/Dacca Asia/Damascus Asia/Dhaka ' +
  'Asia/Dili Asia/Dubai Asia/Dushanbe Asia/Famagusta Asia/Gaza Asia/Harbin Asia/Hebron ' +
  'Asia/Ho_Chi_Minh Asia/Hong_Kong Asia/Hovd Asia/Irkutsk Asia/Istanbul Asia/Jakarta Asia/Jayapura ' +
  'Asia/Jerusalem Asia/Kabul Asia/Kamchatka Asia/Karachi Asia/Kashgar Asia/Kathmandu Asia/Katmandu ' +
  'Asia/Khandyga Asia/Kolkata Asia/Krasnoyarsk Asia/Kuala_Lumpur Asia/Kuching Asia/Kuwait ' +
  'Asia/Macao Asia/Macau Asia/Magadan Asia/Makassar Asia/Manila Asia/Muscat Asia/Nicosia ' +
  'Asia/Novokuznetsk Asia/Novosibirsk Asia/Omsk Asia/Oral Asia/Phnom_Penh Asia/Pontianak ' +
  'Asia/Pyongyang Asia/Qatar Asia/Qostanay Asia/Qyzylorda Asia/Rangoon Asia/Riyadh Asia/Saigon ' +
  'Asia/Sakhalin Asia/Samarkand Asia/Seoul Asia/Shanghai Asia/Singapore Asia/Srednekolymsk ' +
  'Asia/Taipei Asia/Tashkent Asia/Tbilisi Asia/Tehran Asia/Tel_Aviv Asia/Thimbu Asia/Thimphu ' +
  'Asia/Tokyo Asia/Tomsk Asia/Ujung_Pandang Asia/Ulaanbaatar Asia/Ulan_Bator Asia/Urumqi ' +
  'Asia/Ust-Nera Asia/Vientiane Asia/Vladivostok Asia/Yakutsk Asia/Yangon Asia/Yekaterinburg ' +
  'Asia/Yerevan Atlantic/Azores Atlantic/Bermuda Atlantic/Canary Atlantic/Cape_Verde ' +
  'Atlantic/Faeroe Atlantic/Faroe Atlantic/Jan_Mayen Atlantic/Madeira Atlantic/Reykjavik ' +
  'Atlantic/South_Georgia Atlantic/St_Helena Atlantic/Stanley Australia/ACT Australia/Adelaide ' +
  'Australia/Brisbane Australia/Broken_Hill Australia/Canberra Australia/Currie Australia/Darwin ' +
  'Australia/Eucla Australia/Hobart Australia/LHI Australia/Lindeman Australia/Lord_Howe ' +
  'Australia/Melbourne Australia/NSW Australia/North Australia/Perth Australia/Queensland ' +
  'Australia/South Australia/Sydney Australia/Tasmania Australia/Victoria Australia/West ' +
  'Australia/Yancowinna Brazil/Acre Brazil/DeNoronha Brazil/East Brazil/West CET CST6CDT ' +
  'Canada/Atlantic Canada/Central Canada/Eastern Canada/Mountain Canada/Newfoundland ' +
  'Canada/Pacific Canada/Saskatchewan Canada/Yukon Chile/Continental Chile/EasterIsland Cuba EET ' +
  'EST EST5EDT Egypt Eire Etc/GMT Etc/GMT+0 Etc/GMT+1 Etc/GMT+10 Etc/GMT+11 Etc/GMT+12 Etc/GMT+2 ' +
  'Etc/GMT+3 Etc/GMT+4 Etc/GMT+5 Etc/GMT+6 Etc/GMT+7 Etc/GMT+8 Etc/GMT+9 Etc/GMT-0 Etc/GMT-1 ' +
  'Etc/GMT-10 Etc/GMT-11 Etc/GMT-12 Etc/GMT-13 Etc/GMT-14 Etc/GMT-2 Etc/GMT-3 Etc/GMT-4 Etc/GMT-5 ' +
  'Etc/GMT-6 Etc/GMT-7 Etc/GMT-8 Etc/GMT-9 Etc/GMT0 Etc/Greenwich Etc/UCT Etc/UTC Etc/Universal ' +
  'Etc/Zulu Europe/Amsterdam Europe/Andorra Europe/Astrakhan Europe/Athens Europe/Belfast ' +
  'Europe/Belgrade Europe/Berlin Europe/Bratislava Europe/Brussels Europe/Bucharest ' +
  'Europe/Budapest Europe/Busingen Europe/Chisinau Europe/Copenhagen Europe/Dublin ' +
  'Europe/Gibraltar Europe/Guernsey Europe/Helsinki Europe/Isle_of_Man Europe/Istanbul ' +
  'Europe/Jersey Europe/Kaliningrad Europe/Kiev Europe/Kirov Europe/Kyiv Europe/Lisbon ' +
  'Europe/Ljubljana Europe/London Europe/Luxembourg Europe/Madrid Europe/Malta Europe/Mariehamn ' +
  'Europe/Minsk Europe/Monaco Europe/Moscow Europe/Nicosia Europe/Oslo Europe/Paris ' +
  'Europe/Podgorica Europe/Prague Europe/Riga Europe/Rome Europe/Samara Europe/San_Marino ' +
  'Europe/Sarajevo Europe/Saratov Europe/Simferopol Europe/Skopje Europe/Sofia Europe/Stockholm ' +
  'Europe/Tallinn Europe/Tirane Europe/Tiraspol Europe/Ulyanovsk Europe/Uzhgorod Europe/Vaduz ' +
  'Europe/Vatican Europe/Vienna Europe/Vilnius Europe/Volgograd Europe/Warsaw Europe/Zagreb ' +
  'Europe/Zaporozhye Europe/Zurich GB GB-Eire GMT GMT+0 GMT-0 GMT0 Greenwich HST Hongkong Iceland ' +
  'Indian/Antananarivo Indian/Chagos Indian/Christmas Indian/Cocos Indian/Comoro Indian/Kerguelen ' +
  'Indian/Mahe Indian/Maldives Indian/Mauritius Indian/Mayotte Indian/Reunion Iran Israel Jamaica ' +
  'Japan Kwajalein Libya MET MST MST7MDT Mexico/BajaNorte Mexico/BajaSur Mexico/General NZ NZ-CHAT ' +
  'Navajo PRC PST8PDT Pacific/Apia Pacific/Auckland Pacific/Bougainville Pacific/Chatham ' +
  'Pacific/Chuuk Pacific/Easter Pacific/Efate Pacific/Enderbury Pacific/Fakaofo Pacific/Fiji ' +
  'Pacific/Funafuti Pacific/Galapagos Pacific/Gambier Pacific/Guadalcanal Pacific/Guam ' +
  'Pacific/Honolulu Pacific/Johnston Pacific/Kanton Pacific/Kiritimati Pacific/Kosrae ' +
  'Pacific/Kwajalein Pacific/Majuro Pacific/Marquesas Pacific/Midway Pacific/Nauru Pacific/Niue ' +
  'Pacific/Norfolk Pacific/Noumea Pacific/Pago_Pago Pacific/Palau Pacific/Pitcairn Pacific/Pohnpei ' +
  'Pacific/Ponape Pacific/Port_Moresby Pacific/Rarotonga Pacific/Saipan Pacific/Samoa ' +
  'Pacific/Tahiti Pacific/Tarawa Pacific/Tongatapu Pacific/Truk Pacific/Wake Pacific/Wallis ' +
  'Pacific/Yap Poland Portugal ROC ROK Singapore Turkey UCT US/Alaska US/Aleutian US/Arizona ' +
  'US/Central US/East-Indiana US/Eastern US/Hawaii US/Indiana-Starke US/Michigan US/Mountain ' +
  'US/Pacific US/Samoa UTC Universal W-SU WET Zulu '
).split(' ').filter(Boolean);

const BY_LOWER_CASE: ReadonlyMap<string, string> = new Map(NAMES.map((name) => [name.toLowerCase(), name]));

/** The IANA spelling of a time zone name written in any case, or undefined if IANA has no such name. */
export const ianaTimeZone = (name: string): string | undefined => BY_LOWER_CASE.get(asciiLower(name));

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * Seconds east of UTC in `timeZone` at `instant` (only the offset comes from the runtime's tz data):
 * whole seconds, since local mean time before the 1900s was not a whole number of minutes (Shanghai
 * in 1890: +08:05:43).
 */
export function zoneOffset(timeZone: string, instant: Date): number {
  let format = offsetFormats.get(timeZone);
  if (!format) offsetFormats.set(timeZone, (format = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' })));
  const name = format.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const [, sign = '+', hh = '0', mm = '0', ss = '0'] = /GMT([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?/.exec(name) ?? [];
  return (sign === '-' ? -1 : 1) * (Number(hh) * 3600 + Number(mm) * 60 + Number(ss));
}

/**
 * Seconds east of UTC that a date-time string was written in; undefined for "Z" (a machine's UTC,
 * not a place's clock) and for "-00:00", which RFC 3339 gives that meaning: UTC, offset unknown.
 */
export function writtenOffset(value: string | undefined): number | undefined {
  const m = value === undefined || value.endsWith('-00:00') ? null : /([+-])(\d{2}):(\d{2})$/.exec(value);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : undefined;
}

export const two = (n: number) => String(n).padStart(2, '0');

/** "UTC+08:00", or with seconds where a local mean time had them ("UTC+08:05:43"). */
export function offsetLabel(seconds: number): string {
  const abs = Math.abs(seconds);
  const hhmm = `${two(Math.floor(abs / 3600))}:${two(Math.floor(abs / 60) % 60)}`;
  return `UTC${seconds < 0 ? '-' : '+'}${hhmm}${abs % 60 ? `:${two(abs % 60)}` : ''}`;
}

/** A year in at least four digits, as ISO 8601 writes it (0050, not 50; -0001 is 2 BC). */
export const yearOf = (y: number) => (y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0'));

const DAY_MS = 24 * 60 * 60 * 1000;

/** The day (since 1970-01-01) an instant falls on, on a clock `secondsEast` of UTC. */
export const dayNumber = (at: string, secondsEast: number) => Math.floor((Date.parse(at) + secondsEast * 1000) / DAY_MS);

/** The calendar date of a day number (month 0-11, year as ISO 8601 writes it). */
export function dateOfDay(n: number): { y: string; m: number; d: number } {
  const date = new Date(n * DAY_MS);
  return { y: yearOf(date.getUTCFullYear()), m: date.getUTCMonth(), d: date.getUTCDate() };
}

/**
 * The clock a signing is printed by (seconds east of UTC): the ceremony's IANA time zone; or else
 * the offset the signing was logged with; or, for a signing logged in UTC ("Z"), the offset the
 * ceremony's start (else its end) was written with (the venue's clock: UTC would print the wrong
 * day); else UTC.
 */
export function signingClock(signedAt: string, ceremony: { timeZone?: string | undefined; startsAt?: string | undefined; endsAt?: string | undefined }): number {
  return ceremony.timeZone ? zoneOffset(ceremony.timeZone, new Date(signedAt)) : writtenOffset(signedAt) ?? venueOffset(ceremony) ?? 0;
}

/** Without a time zone, the venue's clock as the ceremony was written: its start's offset, else its end's (undefined: both in UTC). */
export const venueOffset = (ceremony: { startsAt?: string | undefined; endsAt?: string | undefined }) => writtenOffset(ceremony.startsAt) ?? writtenOffset(ceremony.endsAt);

/**
 * The first and last day (day numbers) of a ceremony, as a certificate of a signing at `signedAt`
 * prints them and the signing-day rule reads them: on the ceremony's time zone; else each of its
 * start and end on the offset it was written in, and one written in UTC ("Z", no place's clock)
 * on the other's offset (the venue's), or, both in UTC, on the clock the signing prints by. An end
 * that falls on an earlier day than the start (written on another offset) ends on the start's day.
 */
export function ceremonyDayRange(ceremony: { startsAt: string; endsAt?: string | undefined; timeZone?: string | undefined }, signedAt: string): [number, number] {
  const { timeZone, startsAt, endsAt } = ceremony;
  const unwritten = venueOffset(ceremony) ?? signingClock(signedAt, ceremony);
  const day = (at: string) => dayNumber(at, timeZone ? zoneOffset(timeZone, new Date(at)) : writtenOffset(at) ?? unwritten);
  const first = day(startsAt);
  return [first, Math.max(first, endsAt ? day(endsAt) : first)];
}
