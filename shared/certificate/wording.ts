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

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
export const countryName = (code: string) => regionNames.of(code) ?? code;

/** "USD 12,500,000.00": grouped integer part, fraction padded to the currency's minor units. */
export function formatMoney({ amount, currency }: { amount: string; currency: string }): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  const digits = currencyMinorUnits(currency) ?? fraction.length;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${grouped}${digits > 0 ? `.${fraction.padEnd(digits, '0')}` : ''}`;
}

/**
 * The signing time as people at the ceremony saw it: in the ceremony's IANA time zone, or else in
 * the offset the time was logged with. Returns English and Chinese renderings.
 */
export function formatSigningTime(signedAt: string, ceremony: Pick<Ceremony, 'timeZone'>): [string, string] {
  let instant = new Date(signedAt);
  let label: string;
  if (ceremony.timeZone) {
    const offset = new Intl.DateTimeFormat('en', { timeZone: ceremony.timeZone, timeZoneName: 'longOffset' })
      .formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    label = `${offset === 'GMT' ? 'UTC+00:00' : offset.replace('GMT', 'UTC')}, ${ceremony.timeZone}`;
  } else {
    // No zone name: show the wall time of the offset it was logged with (Intl takes no bare offsets).
    const [, sign = '+', hh = '00', mm = '00'] = /([+-])(\d{2}):(\d{2})$/.exec(signedAt) ?? [];
    const minutes = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
    instant = new Date(instant.getTime() + minutes * 60_000);
    label = `UTC${sign}${hh}:${mm}`;
  }
  const zone = ceremony.timeZone ?? 'UTC';
  const opts = { timeZone: zone, year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;
  const en = new Intl.DateTimeFormat('en-GB', opts).format(instant).replace(' at ', ', ');
  const zh = new Intl.DateTimeFormat('zh-Hans-CN', opts).format(instant);
  return [`${en} (${label})`, zh];
}
