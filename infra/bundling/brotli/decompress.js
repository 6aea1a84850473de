// Stands in for the `brotli` package in Lambda bundles. fontkit imports brotli only to read WOFF2
// fonts; Concord embeds TTF files, so the 475 KB decoder (mostly its dictionary) is left out.
export default function decompress() {
  throw new Error('WOFF2 fonts are not supported in this bundle; use TTF');
}
