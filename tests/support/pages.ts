/** A verification page's markup without what keeps dates, times and version numbers on one line (spans in Chinese, no-break spaces in English). */
export const plain = (html: string) => html.replace(/<span class="together">([^<]*)<\/span>/g, '$1').replace(/\u00A0/g, ' ').replace(/\u2060/g, '');
