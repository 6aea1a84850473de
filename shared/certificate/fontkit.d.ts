// fontkit 2 ships no type declarations; the renderer uses a handful of members (see pdf-text.ts).
declare module 'fontkit';
