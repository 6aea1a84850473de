// The QR encoder module of `qrcode` (the same `create` as the package entry point, without renderers).
declare module 'qrcode/lib/core/qrcode.js' {
  export { create } from 'qrcode';
}
