// `bun run build`: one self-contained executable at dist/chat-server (no Bun, no node_modules needed to run it).
import { join } from 'node:path';
import type { BunPlugin } from 'bun';

const root = join(import.meta.dir, '../..');
const outfile = join(root, 'dist/chat-server');

/**
 * libsql picks its native addon with a computed `require(`@libsql/${target}`)`, which the bundler cannot
 * follow, so the addon would be missing from the binary. Rewriting it to the static path of the
 * linux-x64 glibc addon lets `--compile` embed it.
 */
const embedLibsqlAddon: BunPlugin = {
  name: 'embed-libsql-addon',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, async ({ path }) => {
      const source = await Bun.file(path).text();
      const computed = 'require(`@libsql/${target}`)';
      if (!source.includes(computed)) throw new Error(`libsql changed how it loads its addon: update ${import.meta.file}`);
      return { contents: source.replace(computed, 'require("@libsql/linux-x64-gnu/index.node")'), loader: 'js' };
    });
  },
};

const result = await Bun.build({
  entrypoints: [join(root, 'src/index.ts')],
  compile: { outfile },
  // Identifiers stay: Elysia reads handler source (parameter names) to decide what to parse.
  minify: { whitespace: true, syntax: true, identifiers: false },
  plugins: [embedLibsqlAddon],
});

if (!result.success) {
  for (const message of result.logs) console.error(message);
  process.exit(1);
}
console.log(`built ${outfile}`);
