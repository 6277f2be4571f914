// The image's build: the `configstore` command (server, operator, export/import Jobs) as one
// esbuild bundle in dist/bundle/, so the image needs no node_modules and a pod parses only what
// its command uses. ESM with code splitting: what is imported lazily (the operator and its
// Kubernetes client, the S3 SDK) lands in chunks loaded on demand.
//
// Usage: npx tsx scripts/bundle.ts [--no-minify] [outdir]   (default dist/bundle; the metafile goes beside it)
import { build, type Plugin } from 'esbuild';
import { cpSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// etcd3 loads its gRPC definitions at run time from `${__dirname}/../proto/rpc.proto`: point it at
// the copy beside the bundle (copied below; chunks sit beside main.mjs, so __dirname is the outdir).
const etcdProtos: Plugin = {
  name: 'etcd3-protos',
  setup(b) {
    b.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replace('`${__dirname}/../proto/rpc.proto`', '`${__dirname}/proto/rpc.proto`');
      if (patched === source) throw new Error(`${args.path}: the proto path to patch was not found (etcd3 changed?)`);
      return { contents: patched, loader: 'js' };
    });
  },
};

// CommonJS dependencies inside an ES module need require, __dirname and __filename; every
// output file gets them (the imports renamed so as not to clash with the bundle's own names)
const banner = [
  "import { createRequire as __configstoreCreateRequire } from 'node:module';",
  "import { fileURLToPath as __configstoreFileURLToPath } from 'node:url';",
  'const require = __configstoreCreateRequire(import.meta.url);',
  'const __filename = __configstoreFileURLToPath(import.meta.url);',
  "const __dirname = __configstoreFileURLToPath(new URL('.', import.meta.url));",
].join(' ');

/** Bundles `entry` (a .ts or .js file) into `outdir`/main.mjs and its chunks; returns main.mjs's path. */
export async function bundle(entry: string, outdir: string, { minify = true } = {}): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    // names kept: errors' and classes' names are part of what the logs say
    minifySyntax: minify,
    minifyWhitespace: minify,
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    plugins: [etcdProtos],
    banner: { js: banner },
  });
  const protos = join(root, 'node_modules/etcd3/proto');
  if (existsSync(protos)) cpSync(protos, join(outdir, 'proto'), { recursive: true });
  // what each output holds, beside the bundle (not in the image)
  writeFileSync(`${outdir}.meta.json`, JSON.stringify(result.metafile));
  return join(outdir, 'main.mjs');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const minify = !args.includes('--no-minify'); // readable profiles
  const out = args.find((a) => !a.startsWith('--'));
  const main = await bundle(join(root, 'configstore/cli/main.ts'), resolve(out ?? join(root, 'dist/bundle')), { minify });
  process.stdout.write(`bundle: ${main} (${(statSync(main).size / 1024).toFixed(0)} KiB) and its chunks\n`);
}
