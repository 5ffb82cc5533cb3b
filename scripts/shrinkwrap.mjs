// npm pack's prepack / postpack: ship package-lock.json inside the tarball as npm-shrinkwrap.json,
// so that installing the tarball gets exactly the dependency versions the tests ran with. Each
// entry gets its registry tarball address (`resolved`) where the lock file leaves it out, so an
// install needs no registry metadata and works with --offline from the cache `npm ci` filled
// (npm maps the address onto whatever registry is configured). `--remove` deletes the file
// again after packing; the repository keeps package-lock.json only.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const shrinkwrap = new URL('npm-shrinkwrap.json', root);
if (process.argv.includes('--remove')) {
  rmSync(shrinkwrap, { force: true });
} else {
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.resolved || entry.link || !entry.version) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.startsWith('@') ? name.split('/')[1] : name;
    entry.resolved = `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz`;
  }
  writeFileSync(shrinkwrap, `${JSON.stringify(lock, null, 2)}\n`);
}
