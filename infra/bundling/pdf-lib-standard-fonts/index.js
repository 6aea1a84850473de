// Stands in for @pdf-lib/standard-fonts in Lambda bundles: 127 KB of compressed metrics for the
// 14 standard PDF fonts, which Concord never embeds (certificates use subset Noto TTFs). pdf-lib
// reads FontNames when it loads; anything that would embed a standard font fails loudly.
export const FontNames = {
  Courier: 'Courier', CourierBold: 'Courier-Bold', CourierOblique: 'Courier-Oblique', CourierBoldOblique: 'Courier-BoldOblique',
  Helvetica: 'Helvetica', HelveticaBold: 'Helvetica-Bold', HelveticaOblique: 'Helvetica-Oblique', HelveticaBoldOblique: 'Helvetica-BoldOblique',
  TimesRoman: 'Times-Roman', TimesRomanBold: 'Times-Bold', TimesRomanItalic: 'Times-Italic', TimesRomanBoldItalic: 'Times-BoldItalic',
  Symbol: 'Symbol', ZapfDingbats: 'ZapfDingbats',
};
export const Font = {
  load(name) {
    throw new Error(`standard font ${name} is not bundled: embed a TTF instead`);
  },
};
export const Encodings = {};
