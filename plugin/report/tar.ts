// A minimal ustar writer (regular files only), enough for a support bundle that `tar -xzf`
// opens anywhere: no dependency for a few dozen text files.
const block = 512;

export interface TarEntry {
  path: string;
  content: string | Buffer;
  mtime?: Date;
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content;
    parts.push(header(e.path, body.length, e.mtime ?? new Date()), body, Buffer.alloc((block - (body.length % block)) % block));
  }
  parts.push(Buffer.alloc(block * 2)); // the end: two empty blocks
  return Buffer.concat(parts);
}

function header(path: string, size: number, mtime: Date): Buffer {
  const { name, prefix } = splitPath(path);
  const h = Buffer.alloc(block);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  h.write(' '.repeat(8), 148, 'ascii'); // checksum, counted as spaces
  h.write('0', 156, 'ascii'); // a regular file
  h.write('ustar\u000000', 257, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return h;
}

const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\u0000`;

/** ustar keeps up to 100 bytes of name and 155 of prefix, split at a "/". */
export function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(name) <= 100 && Buffer.byteLength(prefix) <= 155) return { name, prefix };
  }
  throw new Error(`path too long for a tar archive: ${path}`);
}
