/**
 * Just enough TrueType for PDF embedding: the metrics a FontDescriptor needs, and a subsetter
 * that keeps only the glyphs drawn (plus the components of composite glyphs), renumbered densely.
 * Replaces fontkit in the renderer: fontkit's full OpenType stack (and its 475 KB WOFF2 decoder)
 * was most of the certificate bundle, and its subsetter is slower than this one.
 */

const TAGS_KEPT = ['cvt ', 'fpgm', 'glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp', 'prep'] as const;

// Composite glyph flags (OpenType spec, 'glyf' table).
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

function checksum(data: Uint8Array): number {
  const padded = new Uint8Array((data.length + 3) & ~3);
  padded.set(data);
  const view = new DataView(padded.buffer);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  return sum;
}

export class TrueTypeFont {
  private readonly view: DataView;
  private readonly tables = new Map<string, { offset: number; length: number }>();
  readonly numGlyphs: number;
  readonly unitsPerEm: number;
  readonly bbox: [number, number, number, number];
  readonly ascent: number;
  readonly descent: number;
  readonly capHeight: number;
  readonly italicAngle: number;
  readonly postscriptName: string;
  private readonly longLoca: boolean;
  private readonly numHMetrics: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = this.view.getUint16(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + 16 * i;
      const tag = String.fromCharCode(...bytes.subarray(at, at + 4));
      this.tables.set(tag, { offset: this.view.getUint32(at + 8), length: this.view.getUint32(at + 12) });
    }
    if (!this.tables.has('glyf')) throw new Error('only TrueType-outline fonts (glyf) are supported');
    const head = this.at('head');
    const hhea = this.at('hhea');
    this.unitsPerEm = this.view.getUint16(head + 18);
    this.bbox = [36, 38, 40, 42].map((o) => this.view.getInt16(head + o)) as [number, number, number, number];
    this.longLoca = this.view.getInt16(head + 50) === 1;
    this.ascent = this.view.getInt16(hhea + 4);
    this.descent = this.view.getInt16(hhea + 6);
    this.numHMetrics = this.view.getUint16(hhea + 34);
    this.numGlyphs = this.view.getUint16(this.at('maxp') + 4);
    const os2 = this.tables.get('OS/2');
    this.capHeight = os2 && this.view.getUint16(os2.offset) >= 2 ? this.view.getInt16(os2.offset + 88) : this.ascent;
    const post = this.tables.get('post');
    this.italicAngle = post ? this.view.getInt32(post.offset + 4) / 65536 : 0;
    this.postscriptName = this.nameRecord(6) ?? 'Font';
  }

  private at(tag: string): number {
    const table = this.tables.get(tag);
    if (!table) throw new Error(`font has no ${tag} table`);
    return table.offset;
  }

  private table(tag: string): Uint8Array | undefined {
    const t = this.tables.get(tag);
    return t && this.bytes.subarray(t.offset, t.offset + t.length);
  }

  private nameRecord(nameId: number): string | undefined {
    const name = this.tables.get('name');
    if (!name) return undefined;
    const base = name.offset;
    const count = this.view.getUint16(base + 2);
    const strings = base + this.view.getUint16(base + 4);
    for (let i = 0; i < count; i++) {
      const r = base + 6 + 12 * i;
      const [platform, , , id, length, offset] = [0, 2, 4, 6, 8, 10].map((o) => this.view.getUint16(r + o)) as number[];
      if (id !== nameId) continue;
      const raw = this.bytes.subarray(strings + offset!, strings + offset! + length!);
      if (platform === 3 || platform === 0) return new TextDecoder('utf-16be').decode(raw);
      if (platform === 1) return String.fromCharCode(...raw);
    }
    return undefined;
  }

  private glyphRange(gid: number): [number, number] {
    const loca = this.at('loca');
    const read = (i: number) => (this.longLoca ? this.view.getUint32(loca + 4 * i) : this.view.getUint16(loca + 2 * i) * 2);
    return [read(gid), read(gid + 1)];
  }

  /** The glyph's ink box [yMin, yMax] in font units (from its 'glyf' header), or null for an empty glyph (a space). */
  glyphYRange(gid: number): [number, number] | null {
    const [start, end] = this.glyphRange(gid);
    if (end <= start) return null;
    const at = this.at('glyf') + start;
    return [this.view.getInt16(at + 4), this.view.getInt16(at + 8)];
  }

  private glyph(gid: number): Uint8Array {
    const [start, end] = this.glyphRange(gid);
    const glyf = this.at('glyf');
    return this.bytes.subarray(glyf + start, glyf + end);
  }

  /** Offsets (within the glyph) of the glyph-index fields of a composite glyph's components. */
  private components(data: Uint8Array): number[] {
    if (data.length < 10 || new DataView(data.buffer, data.byteOffset).getInt16(0) >= 0) return [];
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const fields: number[] = [];
    let at = 10;
    for (;;) {
      const flags = view.getUint16(at);
      fields.push(at + 2);
      at += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
      if (flags & WE_HAVE_A_SCALE) at += 2;
      else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
      else if (flags & WE_HAVE_A_TWO_BY_TWO) at += 8;
      if (!(flags & MORE_COMPONENTS)) return fields;
    }
  }

  private advanceAndLsb(gid: number): [number, number] {
    const hmtx = this.at('hmtx');
    const last = this.numHMetrics - 1;
    const advance = this.view.getUint16(hmtx + 4 * Math.min(gid, last));
    const lsb = gid <= last ? this.view.getInt16(hmtx + 4 * gid + 2) : this.view.getInt16(hmtx + 4 * this.numHMetrics + 2 * (gid - this.numHMetrics));
    return [advance, lsb];
  }

  /**
   * A font file with .notdef, `gids` and every component they need, in ascending old-gid order
   * (so the bytes depend only on the set, not the order of drawing). Returns the new gid of each.
   */
  subset(gids: Iterable<number>): { bytes: Uint8Array; newGid: Map<number, number> } {
    const wanted = new Set<number>([0]);
    const queue = [...gids];
    for (let gid = queue.pop(); gid !== undefined; gid = queue.pop()) {
      if (wanted.has(gid) || gid >= this.numGlyphs) continue;
      wanted.add(gid);
      const data = this.glyph(gid);
      for (const field of this.components(data)) queue.push(new DataView(data.buffer, data.byteOffset).getUint16(field));
    }
    const order = [...wanted].sort((a, b) => a - b);
    const newGid = new Map(order.map((old, i) => [old, i]));

    const glyphs = order.map((old) => {
      const data = Uint8Array.from(this.glyph(old));
      const view = new DataView(data.buffer);
      for (const field of this.components(data)) view.setUint16(field, newGid.get(view.getUint16(field))!);
      return data;
    });
    const glyf = new Uint8Array(glyphs.reduce((n, g) => n + ((g.length + 3) & ~3), 0));
    const loca = new DataView(new ArrayBuffer(4 * (order.length + 1)));
    let offset = 0;
    glyphs.forEach((g, i) => {
      loca.setUint32(4 * i, offset);
      glyf.set(g, offset);
      offset += (g.length + 3) & ~3;
    });
    loca.setUint32(4 * order.length, offset);
    const hmtx = new DataView(new ArrayBuffer(4 * order.length));
    order.forEach((old, i) => {
      const [advance, lsb] = this.advanceAndLsb(old);
      hmtx.setUint16(4 * i, advance);
      hmtx.setInt16(4 * i + 2, lsb);
    });
    const head = Uint8Array.from(this.table('head')!);
    new DataView(head.buffer).setUint32(8, 0); // checkSumAdjustment, set below
    new DataView(head.buffer).setInt16(50, 1); // long loca
    const hhea = Uint8Array.from(this.table('hhea')!);
    new DataView(hhea.buffer).setUint16(34, order.length);
    const maxp = Uint8Array.from(this.table('maxp')!);
    new DataView(maxp.buffer).setUint16(4, order.length);

    const built: Record<string, Uint8Array | undefined> = {
      'cvt ': this.table('cvt '), fpgm: this.table('fpgm'), glyf, head, hhea,
      hmtx: new Uint8Array(hmtx.buffer), loca: new Uint8Array(loca.buffer), maxp, prep: this.table('prep'),
    };
    const tags = TAGS_KEPT.filter((t) => built[t] !== undefined);
    const headerSize = 12 + 16 * tags.length;
    const size = tags.reduce((n, t) => n + ((built[t]!.length + 3) & ~3), headerSize);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    const entrySelector = Math.floor(Math.log2(tags.length));
    view.setUint32(0, 0x00010000);
    view.setUint16(4, tags.length);
    view.setUint16(6, 16 * 2 ** entrySelector);
    view.setUint16(8, entrySelector);
    view.setUint16(10, 16 * tags.length - 16 * 2 ** entrySelector);
    let at = headerSize;
    let headAt = 0;
    tags.forEach((tag, i) => {
      const data = built[tag]!;
      const record = 12 + 16 * i;
      for (let c = 0; c < 4; c++) out[record + c] = tag.charCodeAt(c);
      view.setUint32(record + 4, checksum(data));
      view.setUint32(record + 8, at);
      view.setUint32(record + 12, data.length);
      out.set(data, at);
      if (tag === 'head') headAt = at;
      at += (data.length + 3) & ~3;
    });
    view.setUint32(headAt + 8, (0xb1b0afba - checksum(out)) >>> 0);
    return { bytes: out, newGid };
  }
}
