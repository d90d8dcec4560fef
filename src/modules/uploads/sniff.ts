// Tells a file's real type from its first bytes, against an allow-list; the client's name and declared type are never trusted.
import { isUtf8 } from 'node:buffer';

/** What the bytes are: a MIME type, and pixel dimensions for images. */
export interface DetectedType {
  mime: string;
  width: number | null;
  height: number | null;
}

/** The image types served inline; none of them can carry script (SVG is deliberately not accepted). */
const IMAGE_MIMES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** What the allow-list accepts, for error messages and docs. */
export const ACCEPTED_TYPES_TEXT = 'PNG, JPEG, GIF and WebP images, PDF, ZIP, MP4, QuickTime, WebM, Matroska, MP3, Ogg, WAV and UTF-8 text';

/** True for the image types that have dimensions and are shown inline. */
export function isImageMime(mime: string): boolean {
  return IMAGE_MIMES.has(mime);
}

function startsWith(bytes: Uint8Array, signature: string | number[], offset = 0): boolean {
  const expected = typeof signature === 'string' ? [...signature].map((character) => character.charCodeAt(0)) : signature;
  if (bytes.length < offset + expected.length) return false;
  return expected.every((byte, index) => bytes[offset + index] === byte);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function uint24LittleEndian(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
}

/** An image only counts when its header gives real dimensions: a bare signature is not an image we show inline. */
function image(mime: string, width: number, height: number): DetectedType | null {
  return width > 0 && height > 0 ? { mime, width, height } : null;
}

function other(mime: string): DetectedType {
  return { mime, width: null, height: null };
}

/** PNG: the first chunk must be IHDR, which holds width and height. */
function sniffPng(bytes: Uint8Array): DetectedType | null {
  if (!startsWith(bytes, 'IHDR', 12) || bytes.length < 24) return null;
  const view = viewOf(bytes);
  return image('image/png', view.getUint32(16), view.getUint32(20));
}

/** GIF: the logical screen descriptor follows the six-byte signature. */
function sniffGif(bytes: Uint8Array): DetectedType | null {
  if (bytes.length < 10) return null;
  const view = viewOf(bytes);
  return image('image/gif', view.getUint16(6, true), view.getUint16(8, true));
}

/** SOF0-SOF15 hold the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** JPEG: walks the marker segments up to the first start-of-frame (EXIF and ICC segments may come first). */
function sniffJpeg(bytes: Uint8Array): DetectedType | null {
  const view = viewOf(bytes);
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM and the restart markers.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    // The image data or its end before any frame header: not a JPEG we can size.
    if (marker === 0xd9 || marker === 0xda) return null;
    const length = view.getUint16(offset + 2);
    if (length < 2) return null;
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) return null;
      return image('image/jpeg', view.getUint16(offset + 7), view.getUint16(offset + 5));
    }
    offset += 2 + length;
  }
  return null;
}

/** WebP: the first chunk is lossy (VP8), lossless (VP8L) or extended (VP8X), each with its own size fields. */
function sniffWebp(bytes: Uint8Array): DetectedType | null {
  if (bytes.length < 30) return null;
  const view = viewOf(bytes);
  if (startsWith(bytes, 'VP8 ', 12)) {
    if (!startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) return null;
    return image('image/webp', view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
  }
  if (startsWith(bytes, 'VP8L', 12)) {
    if (bytes[20] !== 0x2f) return null;
    const bits = view.getUint32(21, true);
    return image('image/webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (startsWith(bytes, 'VP8X', 12)) {
    return image('image/webp', uint24LittleEndian(bytes, 24) + 1, uint24LittleEndian(bytes, 27) + 1);
  }
  return null;
}

/** ISO base media brands that are still images (HEIC, AVIF): not on the allow-list. */
const IMAGE_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'avif', 'avis']);

/** MP4 family: the major brand after `ftyp` tells QuickTime, audio-only MP4 and still images apart. */
function sniffFtyp(bytes: Uint8Array): DetectedType | null {
  if (bytes.length < 12) return null;
  const brand = String.fromCharCode(...bytes.subarray(8, 12));
  if (IMAGE_BRANDS.has(brand)) return null;
  if (brand === 'qt  ') return other('video/quicktime');
  if (brand === 'M4A ' || brand === 'M4B ') return other('audio/mp4');
  return other('video/mp4');
}

/** EBML (WebM, Matroska): the DocType element (ID 0x4282) names which; it sits in the first few dozen bytes. */
function sniffEbml(bytes: Uint8Array): DetectedType | null {
  const header = bytes.subarray(0, 64);
  for (let offset = 4; offset + 3 < header.length; offset++) {
    if (header[offset] !== 0x42 || header[offset + 1] !== 0x82) continue;
    const sizeByte = header[offset + 2]!;
    // Only the one-byte size form (top bit set); muxers write DocType that way.
    if ((sizeByte & 0x80) === 0) return null;
    const docType = new TextDecoder().decode(header.subarray(offset + 3, offset + 3 + (sizeByte & 0x7f)));
    if (docType === 'webm') return other('video/webm');
    if (docType === 'matroska') return other('video/x-matroska');
    return null;
  }
  return null;
}

/** An MPEG audio Layer III frame header: sync bits, a real version, layer III, a real bitrate and sample rate. */
function isMp3Frame(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0xff || (bytes[1]! & 0xe0) !== 0xe0) return false;
  const version = (bytes[1]! >> 3) & 0b11;
  const layer = (bytes[1]! >> 1) & 0b11;
  const bitrate = bytes[2]! >> 4;
  const sampleRate = (bytes[2]! >> 2) & 0b11;
  return version !== 0b01 && layer === 0b01 && bitrate !== 0 && bitrate !== 0b1111 && sampleRate !== 0b11;
}

/**
 * The type of a file from its bytes, or null when it is not on the allow-list.
 * Binary signatures are checked first; text is the fallback and must be valid UTF-8 without NUL bytes.
 */
export function detectFileType(bytes: Uint8Array): DetectedType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return sniffPng(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return sniffJpeg(bytes);
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return sniffGif(bytes);
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return sniffWebp(bytes);
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WAVE', 8)) return other('audio/wav');
  if (startsWith(bytes, '%PDF-')) return other('application/pdf');
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return other('application/zip');
  if (startsWith(bytes, 'ftyp', 4)) return sniffFtyp(bytes);
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return sniffEbml(bytes);
  if (startsWith(bytes, 'OggS')) return other('audio/ogg');
  if (startsWith(bytes, 'ID3') || isMp3Frame(bytes)) return other('audio/mpeg');
  if (!bytes.includes(0) && isUtf8(bytes)) return other('text/plain');
  return null;
}
