// Connected components of a binary mask (8-connectivity), used to split ground-truth masks into
// defect regions for PRO. BFS with a preallocated Int32Array queue: no per-pixel JS objects, no
// recursion (a 256×256 all-white mask would overflow a recursive flood fill).

export interface Components {
  /** Per pixel: 0 = background, 1..count = region id. */
  labels: Int32Array;
  count: number;
  /** sizes[id] = pixel count of region id; sizes[0] = 0. */
  sizes: Int32Array;
}

/** Any non-zero mask value is foreground (masks come as 0/1 or 0/255). */
export function labelComponents(mask: ArrayLike<number>, width: number, height: number): Components {
  const n = width * height;
  if (mask.length !== n)
    throw new Error(`mask has ${mask.length} values, expected ${width}×${height} = ${n}`);
  const labels = new Int32Array(n);
  const queue = new Int32Array(n);
  const sizeList: number[] = [0];
  let count = 0;
  for (let start = 0; start < n; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const id = ++count;
    labels[start] = id;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const p = queue[head++];
      const y = (p / width) | 0;
      const x = p - y * width;
      const y0 = y > 0 ? y - 1 : y;
      const y1 = y < height - 1 ? y + 1 : y;
      const x0 = x > 0 ? x - 1 : x;
      const x1 = x < width - 1 ? x + 1 : x;
      for (let yy = y0; yy <= y1; yy++) {
        const row = yy * width;
        for (let xx = x0; xx <= x1; xx++) {
          const q = row + xx;
          if (mask[q] !== 0 && labels[q] === 0) {
            labels[q] = id;
            queue[tail++] = q;
          }
        }
      }
    }
    // Every pixel is enqueued exactly once, so the tail is the region size.
    sizeList.push(tail);
  }
  return { labels, count, sizes: Int32Array.from(sizeList) };
}
