/**
 * A memo within a budget of weight (glyphs, characters: what an entry costs in memory), least
 * recently used out first. A warm Lambda renders certificate after certificate, each with names
 * of its own, so what a renderer remembers must stay bounded however many it renders.
 */
export class BoundedCache<K, V> {
  /** Oldest first: a Map keeps insertion order, and a hit is moved to the end. */
  private readonly entries = new Map<K, V>();
  private weight = 0;

  constructor(private readonly budget: number, private readonly weigh: (key: K, value: V) => number) {}

  /** The value remembered for `key`, else `compute`'s (remembered, the least recently used going past the budget; the newest always stays). */
  get(key: K, compute: () => V): V {
    let value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key); // most recently used goes last
    } else {
      value = compute();
      this.weight += this.weigh(key, value);
      for (const [oldest, old] of this.entries) {
        if (this.weight <= this.budget) break;
        this.entries.delete(oldest);
        this.weight -= this.weigh(oldest, old);
      }
    }
    this.entries.set(key, value);
    return value;
  }
}
