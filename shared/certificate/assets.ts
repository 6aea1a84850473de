/**
 * Files the certificate renderer reads at run time: the Noto fonts and HarfBuzz's WASM. In a
 * Lambda bundle they sit beside the bundle (the CDK copies CERTIFICATE_ASSETS there:
 * `harfbuzz.wasm` at the root, where harfbuzzjs looks for it, fonts under `fonts/`); run from
 * source they are read from node_modules. Nothing is ever downloaded.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  /** Path relative to the bundle root. */
  bundlePath: string;
  /** Module specifier that resolves to the file in node_modules. */
  module: string;
}

const font = (pkg: string, stem: string, style: '400Regular' | '700Bold'): Asset => ({
  bundlePath: `fonts/${stem}_${style}.ttf`,
  module: `@expo-google-fonts/${pkg}/${style}/${stem}_${style}.ttf`,
});

export const FONT_ASSETS = {
  latin: font('noto-sans', 'NotoSans', '400Regular'),
  latinBold: font('noto-sans', 'NotoSans', '700Bold'),
  // The printed verification address is typed from paper: its signature holds l and I, 0 and O,
  // which Noto Sans draws alike (l and I as the same stroke); the monospaced face tells them apart.
  latinMono: font('noto-sans-mono', 'NotoSansMono', '400Regular'),
  han: font('noto-sans-sc', 'NotoSansSC', '400Regular'),
  // Han characters Noto Sans SC lacks: it has 445 beyond the BMP, JP has 655 (𠮷, U+20BB7, among them).
  hanExtra: font('noto-sans-jp', 'NotoSansJP', '400Regular'),
  arabic: font('noto-sans-arabic', 'NotoSansArabic', '400Regular'),
  // Urdu as Pakistan writes it (and reads it), in Nastaliq: Naskh reads to an Urdu reader as Arabic.
  urdu: font('noto-nastaliq-urdu', 'NotoNastaliqUrdu', '400Regular'),
  devanagari: font('noto-sans-devanagari', 'NotoSansDevanagari', '400Regular'),
  khmer: font('noto-sans-khmer', 'NotoSansKhmer', '400Regular'),
  sinhala: font('noto-sans-sinhala', 'NotoSansSinhala', '400Regular'),
  armenian: font('noto-sans-armenian', 'NotoSansArmenian', '400Regular'),
  // Scripts of the SCO's later partners: Maldives (Thaana), Myanmar, Laos; Tamil, Sri Lanka's other official language.
  thaana: font('noto-sans-thaana', 'NotoSansThaana', '400Regular'),
  myanmar: font('noto-sans-myanmar', 'NotoSansMyanmar', '400Regular'),
  lao: font('noto-sans-lao', 'NotoSansLao', '400Regular'),
  tamil: font('noto-sans-tamil', 'NotoSansTamil', '400Regular'),
  // Neighbours and trading partners at the expos (Korea, Thailand, Georgia, Israel, Bangladesh,
  // Ethiopia), India's other scripts, and China's Tibetan and Mongolian (Inner Mongolia) names.
  korean: font('noto-sans-kr', 'NotoSansKR', '400Regular'),
  thai: font('noto-sans-thai', 'NotoSansThai', '400Regular'),
  georgian: font('noto-sans-georgian', 'NotoSansGeorgian', '400Regular'),
  hebrew: font('noto-sans-hebrew', 'NotoSansHebrew', '400Regular'),
  bengali: font('noto-sans-bengali', 'NotoSansBengali', '400Regular'),
  gujarati: font('noto-sans-gujarati', 'NotoSansGujarati', '400Regular'),
  gurmukhi: font('noto-sans-gurmukhi', 'NotoSansGurmukhi', '400Regular'),
  kannada: font('noto-sans-kannada', 'NotoSansKannada', '400Regular'),
  telugu: font('noto-sans-telugu', 'NotoSansTelugu', '400Regular'),
  malayalam: font('noto-sans-malayalam', 'NotoSansMalayalam', '400Regular'),
  oriya: font('noto-sans-oriya', 'NotoSansOriya', '400Regular'),
  ethiopic: font('noto-sans-ethiopic', 'NotoSansEthiopic', '400Regular'),
  mongolian: font('noto-sans-mongolian', 'NotoSansMongolian', '400Regular'),
  // Google Fonts has Tibetan in a serif face only.
  tibetan: font('noto-serif-tibetan', 'NotoSerifTibetan', '400Regular'),
  // China's Yi (Liangshan, Sichuan), and Syriac (Assyrian communities of Iraq, Syria and Türkiye).
  yi: font('noto-sans-yi', 'NotoSansYi', '400Regular'),
  syriac: font('noto-sans-syriac', 'NotoSansSyriac', '400Regular'),
  // Morocco's Amazigh (Tifinagh), Canada's Inuktitut and Cree (syllabics), the Cherokee Nation's.
  tifinagh: font('noto-sans-tifinagh', 'NotoSansTifinagh', '400Regular'),
  canadianSyllabics: font('noto-sans-canadian-aboriginal', 'NotoSansCanadianAboriginal', '400Regular'),
  cherokee: font('noto-sans-cherokee', 'NotoSansCherokee', '400Regular'),
} as const satisfies Record<string, Asset>;

export const CERTIFICATE_ASSETS: Asset[] = [
  { bundlePath: 'harfbuzz.wasm', module: 'harfbuzzjs/dist/harfbuzz.wasm' },
  ...Object.values(FONT_ASSETS),
];

const require = createRequire(import.meta.url);

/** The file on disk: beside the bundle when bundled, else in node_modules. */
export function assetFile(asset: Asset): string {
  const bundled = fileURLToPath(new URL(`./${asset.bundlePath}`, import.meta.url));
  return existsSync(bundled) ? bundled : require.resolve(asset.module);
}
