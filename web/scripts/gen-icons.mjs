// Generates the small PWA icons (PNG) from the same geometry as public/favicon.svg.
// Pure Node (zlib), no image libraries. Run: node scripts/gen-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const BG = [79, 70, 229];
const FG = [255, 255, 255];

function segDist(px, py, ax, ay, bx, by) {
  const vx = bx - ax, vy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(px - (ax + t * vx), py - (ay + t * vy));
}
// Geometry in a 64x64 box (matches favicon.svg).
function shade(x, y, full) {
  // rounded square (radius 14) unless full-bleed (maskable-safe)
  const r = 14;
  const cx = Math.min(Math.max(x, r), 64 - r), cy = Math.min(Math.max(y, r), 64 - r);
  const inside = full || Math.hypot(x - cx, y - cy) <= r;
  if (!inside) return null;
  const w = 3.5; // half stroke width
  const d = Math.min(
    segDist(x, y, 18, 20, 32, 32),
    segDist(x, y, 32, 32, 18, 44),
    segDist(x, y, 36, 44, 47, 44),
  );
  return d <= w ? FG : BG;
}
function png(size, full) {
  const ss = 4; // supersampling
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let j = 0; j < size; j++) {
    raw[j * (size * 4 + 1)] = 0;
    for (let i = 0; i < size; i++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) for (let sx = 0; sx < ss; sx++) {
        const c = shade(((i + (sx + 0.5) / ss) / size) * 64, ((j + (sy + 0.5) / ss) / size) * 64, full);
        if (c) { r += c[0]; g += c[1]; b += c[2]; a += 1; }
      }
      const o = j * (size * 4 + 1) + 1 + i * 4;
      const n = ss * ss;
      raw[o] = a ? Math.round(r / a) : 0; raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0; raw[o + 3] = Math.round((a / n) * 255);
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}
writeFileSync(join(out, 'pwa-192.png'), png(192, false));
writeFileSync(join(out, 'pwa-512.png'), png(512, true));
writeFileSync(join(out, 'apple-touch-icon.png'), png(180, true));
console.log('icons written to', out);
