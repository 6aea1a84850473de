/**
 * Demo data: the 18 SCO states of the China-SCO Digital Economy Forum (official names in their
 * own scripts, from sco-states.json), Chongqing and partner cities, the SCO bodies, a few
 * enterprises, and one SCE 2021 signing ceremony (Chongqing, 23 August 2021, UTC+08:00).
 * The states, venue and event are real; the enterprises, signatories and agreements are
 * illustrative.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { AgreementInput, CeremonyInput, PartyInput } from '#shared/domain/schemas.ts';

const statesFile = z.object({
  states: z.array(z.object({ code: z.string(), name: z.string(), localName: z.string(), lang: z.string() })),
});
const { states } = statesFile.parse(JSON.parse(readFileSync(new URL('./sco-states.json', import.meta.url), 'utf8')));

export const DEMO_PARTIES: PartyInput[] = [
  ...states.map((s): PartyInput => ({ id: `state-${s.code.toLowerCase()}`, kind: 'state', name: s.name, localName: s.localName, lang: s.lang, countryCode: s.code })),
  { id: 'city-chongqing', kind: 'city', name: 'Chongqing Municipality', localName: '重庆市', lang: 'zh-Hans', countryCode: 'CN' },
  { id: 'city-tashkent', kind: 'city', name: 'Tashkent', localName: 'Toshkent', lang: 'uz', countryCode: 'UZ' },
  { id: 'city-almaty', kind: 'city', name: 'Almaty', localName: 'Алматы', lang: 'kk', countryCode: 'KZ' },
  { id: 'city-minsk', kind: 'city', name: 'Minsk', localName: 'Мінск', lang: 'be', countryCode: 'BY' },
  { id: 'city-yerevan', kind: 'city', name: 'Yerevan', localName: 'Երևան', lang: 'hy', countryCode: 'AM' },
  { id: 'city-lahore', kind: 'city', name: 'Lahore', localName: 'لاہور', lang: 'ur', countryCode: 'PK' },
  { id: 'city-kathmandu', kind: 'city', name: 'Kathmandu', localName: 'काठमाडौं', lang: 'ne', countryCode: 'NP' },
  { id: 'city-phnom-penh', kind: 'city', name: 'Phnom Penh', localName: 'ភ្នំពេញ', lang: 'km', countryCode: 'KH' },
  { id: 'city-colombo', kind: 'city', name: 'Colombo', localName: 'කොළඹ', lang: 'si', countryCode: 'LK' },
  { id: 'org-sco-secretariat', kind: 'organization', name: 'SCO Secretariat', localName: '上海合作组织秘书处', lang: 'zh-Hans' },
  { id: 'org-sco-business-council', kind: 'organization', name: 'SCO Business Council', localName: '上海合作组织实业家委员会', lang: 'zh-Hans' },
  { id: 'ent-cq-digital-logistics', kind: 'enterprise', name: 'Chongqing Digital Logistics Co., Ltd.', localName: '重庆数字物流有限公司', lang: 'zh-Hans', countryCode: 'CN' },
  { id: 'ent-cq-industrial-internet', kind: 'enterprise', name: 'Chongqing Industrial Internet Co., Ltd.', localName: '重庆工业互联网有限公司', lang: 'zh-Hans', countryCode: 'CN' },
  { id: 'ent-tashkent-smart-tourism', kind: 'enterprise', name: 'Tashkent Smart Tourism JSC', localName: 'Toshkent Smart Turizm AJ', lang: 'uz', countryCode: 'UZ' },
  { id: 'ent-minsk-industrial-digital', kind: 'enterprise', name: 'Minsk Industrial Digital LLC', countryCode: 'BY' },
];

export const DEMO_CEREMONY: CeremonyInput = {
  id: 'sce-2021-signing',
  title: 'China-SCO Digital Economy Forum: project signing ceremony',
  event: 'Smart China Expo 2021 (SCE 2021)',
  venue: 'Chongqing International Expo Center',
  city: 'Chongqing',
  countryCode: 'CN',
  startsAt: '2021-08-23T14:00:00+08:00',
  endsAt: '2021-08-23T16:30:00+08:00',
  timeZone: 'Asia/Shanghai',
};

const at = (time: string) => `2021-08-23T${time}:00+08:00`;
const place = 'China-SCO Digital Economy Cooperation Pavilion';

/** Keyed by the Idempotency-Key they are logged with, so re-seeding never duplicates them. */
export const DEMO_AGREEMENTS: Record<string, AgreementInput> = {
  'demo-sister-city-chongqing-tashkent': {
    title: 'Agreement on Establishing Friendly City Relations between Chongqing and Tashkent',
    titleZh: '重庆市与塔什干市建立友好城市关系协议书',
    kind: 'sister-city',
    parties: [
      { partyId: 'city-chongqing', role: 'host city', signatory: { name: 'Wang Lin', title: 'Vice Mayor' } },
      { partyId: 'city-tashkent', role: 'partner city', signatory: { name: 'Aziz Karimov', title: 'Deputy Khokim' } },
    ],
    sectors: ['culture', 'education', 'smart-tourism'],
    signedAt: at('14:10'),
    place,
  },
  'demo-framework-cn-kz': {
    title: 'Framework Agreement on Digital Economy Cooperation',
    titleZh: '数字经济合作框架协议',
    kind: 'framework',
    parties: [
      { partyId: 'state-cn', signatory: { name: 'Zhao Ming', title: 'Vice Minister' } },
      { partyId: 'state-kz', signatory: { name: 'Nurlan Abenov', title: 'Vice Minister' } },
    ],
    sectors: ['digital-economy', 'digital-channels'],
    signedAt: at('14:25'),
    place,
  },
  'demo-investment-logistics-almaty': {
    title: 'Investment Agreement on the Almaty Smart Logistics Hub',
    titleZh: '阿拉木图智慧物流枢纽投资协议',
    kind: 'investment',
    parties: [
      { partyId: 'ent-cq-digital-logistics', role: 'investor', signatory: { name: 'Chen Jie', title: 'Chairman' } },
      { partyId: 'city-almaty', role: 'host city', signatory: { name: 'Aigerim Sadykova', title: 'Deputy Akim' } },
    ],
    sectors: ['smart-logistics', 'investment'],
    value: { amount: '350000000.00', currency: 'CNY' },
    signedAt: at('14:40'),
    place,
  },
  'demo-mou-secretariat-chongqing': {
    title: 'Memorandum of Understanding on the China-SCO Digital Economy Industry Forum Platform',
    titleZh: '关于中国—上海合作组织数字经济产业论坛平台的谅解备忘录',
    kind: 'mou',
    parties: [
      { partyId: 'org-sco-secretariat', signatory: { name: 'Farid Rahimov', title: 'Deputy Secretary-General' } },
      { partyId: 'city-chongqing', signatory: { name: 'Wang Lin', title: 'Vice Mayor' } },
    ],
    sectors: ['digital-economy', 'industrial-internet'],
    signedAt: at('15:00'),
    place,
  },
  'demo-ecommerce-corridor': {
    title: 'Cooperation Agreement on a Cross-Border E-Commerce Corridor',
    titleZh: '跨境电子商务走廊合作协议',
    kind: 'cooperation',
    parties: [
      { partyId: 'ent-cq-digital-logistics', role: 'operator', signatory: { name: 'Chen Jie', title: 'Chairman' } },
      { partyId: 'ent-tashkent-smart-tourism', role: 'partner', signatory: { name: 'Dilnoza Yusupova', title: 'General Director' } },
      { partyId: 'city-lahore', role: 'partner city', signatory: { name: 'Imran Qureshi', title: 'Commissioner' } },
      { partyId: 'org-sco-business-council', role: 'facilitator', signatory: { name: 'Sergei Volkov', title: 'Executive Secretary' } },
    ],
    sectors: ['e-commerce', 'smart-logistics', 'trade'],
    signedAt: at('15:20'),
    place,
  },
  'demo-industrial-internet-minsk': {
    title: 'Agreement on Industrial Internet Platform Cooperation',
    titleZh: '工业互联网平台合作协议',
    kind: 'cooperation',
    parties: [
      { partyId: 'ent-cq-industrial-internet', signatory: { name: 'Liu Yang', title: 'President' } },
      { partyId: 'ent-minsk-industrial-digital', signatory: { name: 'Andrei Kovalenko', title: 'Director General' } },
    ],
    sectors: ['industrial-internet'],
    value: { amount: '12500000', currency: 'USD' },
    signedAt: at('15:45'),
    place,
  },
};

/** The party whose partner token `npm start` prints. */
export const DEMO_PARTNER_PARTY = 'city-chongqing';
