// BMP decoder: sharp (libvips) does not read BMP, and some camera SDKs write nothing else.
// Supports uncompressed 24-bit, 32-bit (BI_RGB and BI_BITFIELDS) and 8-bit palette images,
// bottom-up and top-down. Every offset is checked before it is read.
import { ImageDecodeError } from './errors';
import type { RgbImage } from './types';

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const INFO_HEADER_SIZES = new Set([40, 52, 56, 108, 124]);

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  dataOffset: number;
  dibSize: number;
  colorsUsed: number;
}

export function readBmpHeader(buf: Uint8Array, file: string): BmpHeader {
  const fail = (detail: string, problem: 'corrupt' | 'truncated' | 'unsupported' = 'corrupt') =>
    new ImageDecodeError(problem, file, `BMP ${detail}`);
  if (!isBmp(buf)) throw fail('signature missing');
  if (buf.length < 54) throw fail(`header needs 54 bytes, file has ${buf.length}`, 'truncated');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dibSize = v.getUint32(14, true);
  if (!INFO_HEADER_SIZES.has(dibSize)) throw fail(`header size ${dibSize} is not supported`, 'unsupported');
  if (buf.length < 14 + dibSize) throw fail('header is cut short', 'truncated');
  const rawHeight = v.getInt32(22, true);
  const header: BmpHeader = {
    width: v.getInt32(18, true),
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel: v.getUint16(28, true),
    compression: v.getUint32(30, true),
    dataOffset: v.getUint32(10, true),
    dibSize,
    colorsUsed: v.getUint32(46, true),
  };
  if (v.getUint16(26, true) !== 1) throw fail('plane count is not 1');
  if (header.width <= 0 || header.height === 0 || rawHeight === -2147483648) {
    throw fail(`has invalid dimensions ${header.width}x${rawHeight}`);
  }
  return header;
}

export function decodeBmp(buf: Uint8Array, file: string, maxPixels: number): RgbImage {
  const h = readBmpHeader(buf, file);
  const fail = (detail: string, problem: 'corrupt' | 'truncated' | 'unsupported' | 'too_large' = 'corrupt') =>
    new ImageDecodeError(problem, file, `BMP ${detail}`);
  const { width, height, bitsPerPixel: bpp } = h;
  // Before any allocation: a 30-byte header can claim gigapixels.
  if (width * height > maxPixels) {
    throw fail(
      `is ${width}x${height} = ${width * height} pixels, above the ${maxPixels}-pixel limit`,
      'too_large',
    );
  }
  const bitfields = h.compression === BI_BITFIELDS || h.compression === BI_ALPHABITFIELDS;
  if (!(h.compression === BI_RGB || (bpp === 32 && bitfields))) {
    throw fail(
      `compression ${h.compression} at ${bpp} bits is not supported (only uncompressed)`,
      'unsupported',
    );
  }
  if (bpp !== 8 && bpp !== 24 && bpp !== 32) throw fail(`${bpp}-bit pixels are not supported`, 'unsupported');

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const rowBytes = Math.ceil((bpp * width) / 8);
  // The last row's padding is often omitted by writers, so it is not required.
  const needed = h.dataOffset + stride * (height - 1) + rowBytes;
  if (h.dataOffset < 14 + h.dibSize) throw fail(`pixel data offset ${h.dataOffset} points into the header`);
  if (needed > buf.length) {
    throw fail(`pixel data needs ${needed} bytes, file has ${buf.length}`, 'truncated');
  }

  const out = new Uint8Array(width * height * 3);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bpp === 8) {
    const palette = readPalette(buf, h, fail);
    const entries = palette.length / 3;
    for (let y = 0; y < height; y++) {
      let src = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
      let dst = y * width * 3;
      for (let x = 0; x < width; x++) {
        const idx = buf[src++];
        if (idx >= entries) throw fail(`pixel (${x}, ${y}) uses palette index ${idx} of ${entries}`);
        out[dst++] = palette[idx * 3];
        out[dst++] = palette[idx * 3 + 1];
        out[dst++] = palette[idx * 3 + 2];
      }
    }
  } else if (bpp === 24 || !bitfields) {
    const step = bpp / 8;
    for (let y = 0; y < height; y++) {
      let src = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
      let dst = y * width * 3;
      for (let x = 0; x < width; x++, src += step) {
        out[dst++] = buf[src + 2];
        out[dst++] = buf[src + 1];
        out[dst++] = buf[src];
      }
    }
  } else {
    if (buf.length < 66) throw fail('bit masks are cut short', 'truncated');
    const masks = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)].map(maskShape);
    for (let y = 0; y < height; y++) {
      let src = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
      let dst = y * width * 3;
      for (let x = 0; x < width; x++, src += 4) {
        const px = v.getUint32(src, true);
        for (let c = 0; c < 3; c++) {
          const m = masks[c];
          out[dst++] = m.max === 0 ? 0 : Math.round((((px & m.mask) >>> m.shift) * 255) / m.max);
        }
      }
    }
  }
  return { width, height, channels: 3, data: out };
}

function readPalette(
  buf: Uint8Array,
  h: BmpHeader,
  fail: (d: string, p?: 'corrupt' | 'truncated') => ImageDecodeError,
): Uint8Array {
  const entries = h.colorsUsed === 0 ? 256 : h.colorsUsed;
  if (entries > 256) throw fail(`palette claims ${entries} entries (max 256)`);
  const start = 14 + h.dibSize;
  const end = start + entries * 4;
  if (end > h.dataOffset || end > buf.length)
    throw fail('palette overlaps the pixel data or the end of file', 'truncated');
  const rgb = new Uint8Array(entries * 3);
  for (let i = 0; i < entries; i++) {
    rgb[i * 3] = buf[start + i * 4 + 2];
    rgb[i * 3 + 1] = buf[start + i * 4 + 1];
    rgb[i * 3 + 2] = buf[start + i * 4];
  }
  return rgb;
}

function maskShape(mask: number): { mask: number; shift: number; max: number } {
  if (mask === 0) return { mask: 0, shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { mask: mask >>> 0, shift, max: mask >>> shift };
}
