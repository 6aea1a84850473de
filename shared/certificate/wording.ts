/**
 * What a certificate says, in English and Simplified Chinese: labels, dates in the ceremony's
 * time zone, and money formatted for people from its exact decimal string (never via a float).
 */
import { currencyMinorUnits } from '#shared/domain/iso-codes.ts';
import type { Agreement, Ceremony, PartyKind } from '#shared/domain/schemas.ts';

export const KIND_LABELS: Record<Agreement['kind'], [string, string]> = {
  mou: ['Memorandum of understanding', '谅解备忘录'],
  framework: ['Framework agreement', '框架协议'],
  investment: ['Investment agreement', '投资协议'],
  trade: ['Trade agreement', '贸易协议'],
  'sister-city': ['Sister-city agreement', '友好城市协议'],
  cooperation: ['Cooperation agreement', '合作协议'],
  other: ['Agreement', '协议'],
};

export const SECTOR_LABELS: Record<Agreement['sectors'][number], [string, string]> = {
  'digital-economy': ['Digital economy', '数字经济'],
  'e-commerce': ['E-commerce', '电子商务'],
  'smart-tourism': ['Smart tourism', '智慧旅游'],
  'smart-logistics': ['Smart logistics', '智慧物流'],
  'digital-channels': ['Digital channels', '数字渠道'],
  'industrial-internet': ['Industrial internet', '工业互联网'],
  trade: ['Trade', '贸易'],
  investment: ['Investment', '投资'],
  culture: ['Culture', '文化'],
  education: ['Education', '教育'],
  other: ['Other', '其他'],
};

export const PARTY_KIND_LABELS: Record<PartyKind, [string, string]> = {
  state: ['State', '国家'],
  city: ['City', '城市'],
  enterprise: ['Enterprise', '企业'],
  organization: ['International organization', '国际组织'],
};

export const STATUS_LABELS: Record<Agreement['status'], [string, string]> = {
  active: ['In force', '有效'],
  voided: ['Voided', '已作废'],
};

export { countryName } from '#shared/domain/iso-codes.ts';

/** "USD 12,500,000.00": grouped integer part, fraction padded to the currency's minor units. */
export function formatMoney({ amount, currency }: { amount: string; currency: string }): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  const digits = currencyMinorUnits(currency) ?? fraction.length;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${grouped}${digits > 0 ? `.${fraction.padEnd(digits, '0')}` : ''}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC in `timeZone` at `instant` (only the offset comes from the runtime's tz data). */
function zoneOffset(timeZone: string, instant: Date): number {
  let format = offsetFormats.get(timeZone);
  if (!format) offsetFormats.set(timeZone, (format = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' })));
  const name = format.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const [, sign = '+', hh = '0', mm = '0'] = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name) ?? [];
  return (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * The signing time as people at the ceremony saw it: in the ceremony's IANA time zone, or else in
 * the offset it was logged with; English and Chinese. Formatted by hand, not by Intl, so that a
 * certificate stays byte-identical across ICU versions.
 */
export function formatSigningTime(signedAt: string, ceremony: Pick<Ceremony, 'timeZone'>): [string, string] {
  const instant = new Date(signedAt);
  let minutes: number;
  if (ceremony.timeZone) {
    minutes = zoneOffset(ceremony.timeZone, instant);
  } else {
    const [, sign = '+', hh = '00', mm = '00'] = /([+-])(\d{2}):(\d{2})$/.exec(signedAt) ?? [];
    minutes = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
  }
  const wall = new Date(instant.getTime() + minutes * 60_000);
  const [y, m, d, time] = [wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate(), `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}`];
  const offset = `UTC${minutes < 0 ? '-' : '+'}${two(Math.floor(Math.abs(minutes) / 60))}:${two(Math.abs(minutes) % 60)}`;
  const zone = ceremony.timeZone ? `${offset}, ${ceremony.timeZone}` : offset;
  return [`${d} ${MONTHS[m]} ${y}, ${time} (${zone})`, `${y}年${m + 1}月${d}日 ${time}`];
}
