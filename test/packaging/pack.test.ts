/**
 * The npm package as a user gets it: `npm pack`'s tarball, installed into an empty directory
 * with nothing but the npm cache (--offline), runs `npx digit-train --epochs 1` and `export`,
 * with no devDependency installed.
 *
 * The tarball carries npm-shrinkwrap.json (package-lock.json, written by the prepack script),
 * so an install gets the versions the tests ran with. A plain `npm install --offline x.tgz`
 * would still ask the registry for version lists (packuments), which `npm ci` does not cache,
 * so the empty directory gets a package-lock.json made from the tarball's own shrinkwrap: the
 * same tree npm builds from it, with every tarball in the cache.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

const npm = (args: string[], cwd: string) => {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
};

describe('npm pack', () => {
  it('prepack writes the shrinkwrap and postpack removes it', () => {
    expect(pkg.scripts.prepack).toBe('node scripts/shrinkwrap.mjs');
    expect(pkg.scripts.postpack).toBe('node scripts/shrinkwrap.mjs --remove');
    expect(pkg.files).toContain('npm-shrinkwrap.json');
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\/github\.com\//);
  });

  it('the tarball installs into an empty directory offline and runs npx digit-train --epochs 1, without devDependencies', () => {
    const dir = tempDir();
    // What `npm pack` runs, minus the `prepare` build (npm test's pretest has just built dist/).
    execFileSync(process.execPath, [join(ROOT, 'scripts/shrinkwrap.mjs')]);
    let tarball: string;
    try {
      const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
      tarball = join(dir, (JSON.parse(out) as { filename: string }[])[0].filename);
    } finally {
      execFileSync(process.execPath, [join(ROOT, 'scripts/shrinkwrap.mjs'), '--remove']);
    }
    expect(existsSync(join(ROOT, 'npm-shrinkwrap.json'))).toBe(false);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    for (const f of ['package/LICENSE', 'package/README.md', 'package/docs/backprop.md', 'package/npm-shrinkwrap.json', 'package/bin/digit-train.js', 'package/dist/cli/main.js', 'package/dist/export/onnx.js'])
      expect(files).toContain(f);
    expect(files.filter((f) => /^package\/(src|test|scripts|examples)\//.test(f))).toEqual([]);

    // The empty directory: a package that depends on the tarball, locked as its shrinkwrap says.
    const app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    const shrinkwrap = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/npm-shrinkwrap.json'], { encoding: 'utf8' }));
    const spec = `file:${tarball}`;
    const packages: Record<string, unknown> = {
      '': { name: 'app', version: '1.0.0', dependencies: { 'digit-train': spec } },
      'node_modules/digit-train': { version: pkg.version, resolved: spec, license: 'MIT', dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
    };
    for (const [path, entry] of Object.entries(shrinkwrap.packages as Record<string, { dev?: boolean }>)) if (path !== '' && !entry.dev) packages[path] = entry;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { 'digit-train': spec } }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
    npm(['ci', '--offline'], app);
    // Every devDependency that nothing at run time needs too (@types/node is also protobufjs's) is absent.
    const devOnly = Object.keys(pkg.devDependencies).filter((d) => shrinkwrap.packages[`node_modules/${d}`]?.dev === true);
    expect(devOnly).toEqual(expect.arrayContaining(['onnxruntime-node', 'vitest', 'tsx', 'typescript']));
    for (const dev of devOnly) expect(existsSync(join(app, 'node_modules', dev))).toBe(false);

    const r = spawnSync('npx', ['--offline', 'digit-train', '--epochs', '1'], { cwd: app, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', npm_config_offline: 'true' } });
    expect(r.stderr.replace(/^npm warn .*\n/gm, '')).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^saved model\.json \(1 epoch in [\d.]+s; test accuracy best \d+\.\d\d%, last \d+\.\d\d%\)$/m);
    const onnx = spawnSync('npx', ['--offline', 'digit-train', 'export', 'model.json', 'model.onnx'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(onnx.status).toBe(0);
    expect(existsSync(join(app, 'model.onnx'))).toBe(true);
  });
});
