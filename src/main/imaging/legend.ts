// The colour bar shown next to a heatmap, with its scale, rendered to PNG once per model/range.
import sharp from 'sharp';
import type { ColorLut } from './colormap';

export interface LegendOptions {
  lut: ColorLut;
  width: number;
  height: number;
  min: number;
  max: number;
  ticks?: number;
  /** Fraction of the height taken by the bar; labels go below it. */
  barFraction?: number;
  textColor?: string;
  /** RGBA background; transparent by default so the UI chooses. */
  background?: { r: number; g: number; b: number; alpha: number };
  format?: (v: number) => string;
}

export async function legendPng(options: LegendOptions): Promise<Buffer> {
  const { lut, width, height, min, max } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16) {
    throw new RangeError(`Legend must be at least 16x16, got ${width}x${height}.`);
  }
  if (lut.length !== 768) throw new RangeError('A colour LUT must hold 256 RGB entries.');
  const ticks = Math.max(2, Math.floor(options.ticks ?? 5));
  const barHeight = Math.max(1, Math.round(height * (options.barFraction ?? 0.5)));
  const fmt = options.format ?? defaultFormat(min, max);

  const bar = new Uint8Array(width * barHeight * 4);
  for (let x = 0; x < width; x++) {
    const l = Math.round((x * 255) / (width - 1)) * 3;
    for (let y = 0; y < barHeight; y++) {
      const d = (y * width + x) * 4;
      bar[d] = lut[l];
      bar[d + 1] = lut[l + 1];
      bar[d + 2] = lut[l + 2];
      bar[d + 3] = 255;
    }
  }

  const labelHeight = height - barHeight;
  const fontSize = Math.max(8, Math.min(14, Math.floor(labelHeight * 0.6)));
  const color = escapeXml(options.textColor ?? '#ffffff');
  const parts: string[] = [];
  for (let i = 0; i < ticks; i++) {
    const f = i / (ticks - 1);
    const x = Math.min(width - 1, Math.round(f * (width - 1)));
    const anchor = i === 0 ? 'start' : i === ticks - 1 ? 'end' : 'middle';
    const tickEnd = barHeight + Math.max(2, Math.round(labelHeight * 0.2));
    parts.push(
      `<line x1="${x + 0.5}" y1="${barHeight}" x2="${x + 0.5}" y2="${tickEnd}" stroke="${color}" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${x}" y="${height - 2}" font-family="sans-serif" font-size="${fontSize}" fill="${color}" text-anchor="${anchor}">${escapeXml(fmt(min + f * (max - min)))}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;

  return sharp({
    create: { width, height, channels: 4, background: options.background ?? { r: 0, g: 0, b: 0, alpha: 0 } },
  })
    .composite([
      {
        input: Buffer.from(bar.buffer, bar.byteOffset, bar.byteLength),
        raw: { width, height: barHeight, channels: 4 },
        top: 0,
        left: 0,
      },
      { input: Buffer.from(svg), top: 0, left: 0 },
    ])
    .png()
    .toBuffer();
}

function defaultFormat(min: number, max: number): (v: number) => string {
  const span = Math.abs(max - min);
  const decimals = span === 0 ? 2 : Math.max(0, Math.min(4, 2 - Math.floor(Math.log10(span))));
  return (v) => v.toFixed(decimals);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
