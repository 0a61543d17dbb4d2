// `meson install` and the deploy/ files: the installed program finds its
// web files, the npm assets it serves, its module and the plugins with no
// option (also after the whole tree is moved), the systemd unit passes
// `systemd-analyze verify`, the nginx example passes `nginx -t`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR } from '../lib/server.mjs';
import { Client, request } from '../lib/client.mjs';
import { serve } from '../lib/serve.mjs';

const BUILD = process.env.CAIRN_BUILD;
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
let tmp, root, installed;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-install-'));
  root = path.join(tmp, 'root');
  const r = spawnSync('meson', ['install', '-C', BUILD, '--destdir', root, '--no-rebuild', '--quiet'],
    { encoding: 'utf8' });
  assert.equal(r.status, 0, `meson install: ${r.stdout}\n${r.stderr}`);
  // {build file: installed path} for what the build makes.
  const map = JSON.parse(spawnSync('meson', ['introspect', BUILD, '--installed'],
    { encoding: 'utf8', maxBuffer: 16 << 20 }).stdout);
  installed = Object.values(map);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const bin = (top) => path.join(top, installed.find((p) => /\/bin\/cairn$/.test(p)));
const share = (top) => path.join(top, path.dirname(path.dirname(
  installed.find((p) => /\/cairn\/web\/cairn\.css$/.test(p)))));

/** Files below dir, relative. */
function walk(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? walk(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]);
}

const env = () => {
  const e = { ...process.env };
  delete e.CAIRN_MODULES;    // the installed module folder, as in production
  delete e.CAIRN_ASSETS_DIR;
  return e;
};

async function checkServes(top) {
  const s = await serve(['serve', '--data', path.join(tmp, `data-${path.basename(top)}`), '--port', '0',
    '--demo', '--demo-packages', path.join(tmp, 'none')], { bin: bin(top), env: env() });
  try {
    // Served from the installed tree, byte for byte the sources.
    const same = {
      '/js/common.js': path.join(SOURCE_DIR, 'core/web/js/common.js'),
      '/play.html': path.join(SOURCE_DIR, 'core/web/play.html'),
      '/favicon.svg': path.join(SOURCE_DIR, 'core/web/favicon.svg'),
      '/css/cairn.css': path.join(BUILD, 'core/web/cairn.css'),
      '/login.html': path.join(BUILD, 'core/web/login.html'),
      '/assets/govuk/govuk-frontend.min.js':
        path.join(SOURCE_DIR, 'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js'),
      '/assets/govuk/assets/images/govuk-crest.svg':
        path.join(SOURCE_DIR, 'node_modules/govuk-frontend/dist/govuk/assets/images/govuk-crest.svg'),
      '/assets/scorm-again/esm/scorm12.min.js':
        path.join(SOURCE_DIR, 'node_modules/scorm-again/dist/esm/scorm12.min.js'),
      '/assets/scorm-again/esm/scorm2004.min.js':
        path.join(SOURCE_DIR, 'node_modules/scorm-again/dist/esm/scorm2004.min.js'),
    };
    for (const [url, file] of Object.entries(same)) {
      const r = await request(s.url, url);
      assert.equal(r.status, 200, url);
      assert.ok(r.raw.equals(fs.readFileSync(file)), `${url} is ${file}`);
    }
    const admin = await new Client(s.url).mustLogin('admin@cairn.example',
      s.accounts['admin@cairn.example'].password);
    const plugins = (await admin.get('/api/admin/plugins')).body;
    assert.equal(plugins.dir, path.join(share(top), 'plugins'));
    assert.deepEqual(plugins.plugins.map((p) => [p.name, p.state]),
      [['eastmere', 'loaded'], ['hollowfield', 'loaded'], ['leicestershire-rutland', 'loaded']]);
    const packages = await admin.get('/api/packages');
    assert.match(packages.text, /basic awareness/i, 'the module was imported from the installed folder');
  } finally {
    assert.equal((await s.stop()).code, 0);
  }
}

describe('meson install', () => {
  test('installs the program, the web files, only the served npm files, the module and the plugins', () => {
    const files = walk(share(root));
    for (const f of ['web/cairn.css', 'web/index.html', 'web/play.html', 'web/js/play.js',
      'vendor/govuk-frontend/dist/govuk/govuk-frontend.min.js',
      'vendor/scorm-again/dist/esm/scorm12.min.js', 'modules/cairn-basic-awareness.zip',
      'plugins/eastmere/plugin.json', 'plugins/eastmere/init.lua'])
      assert.ok(files.includes(f), `${f} is installed`);
    for (const f of files) {
      assert.doesNotMatch(f, /fonts\/|\.map$|\.scss$|layout\.html|build-pages|pages\//, `${f} is not served`);
      assert.ok(!f.startsWith('vendor/') || /govuk-frontend\.min\.js$|assets\/images\/|manifest\.json$|scorm(12|2004)\.min\.js$/.test(f),
        `${f}: only what Cairn serves`);
    }
    assert.ok(fs.statSync(bin(root)).mode & 0o111, 'the program is executable');
  });

  test('the installed program finds everything with no option', async () => {
    await checkServes(root);
  });

  test('and still does once the whole tree is moved', async () => {
    const moved = path.join(tmp, 'moved');
    fs.renameSync(root, moved);
    try {
      await checkServes(moved);
    } finally {
      fs.renameSync(moved, root);
    }
  });
});

describe('deploy/', () => {
  test('cairn.service passes systemd-analyze verify', { skip: !have('systemd-analyze') &&
    'systemd-analyze is not installed' }, () => {
    const unit = path.join(tmp, 'cairn.service');
    fs.writeFileSync(unit, fs.readFileSync(path.join(SOURCE_DIR, 'deploy/cairn.service'), 'utf8')
      .replaceAll('/usr/local/bin/cairn', bin(root)));
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
    const text = fs.readFileSync(unit, 'utf8');
    for (const line of ['User=cairn', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes',
      'NoNewPrivileges=yes', 'ReadWritePaths=/var/lib/cairn', 'CapabilityBoundingSet=\n',
      'SystemCallFilter=@system-service', 'MemoryDenyWriteExecute=yes', 'Restart=on-failure',
      'KillSignal=SIGTERM', 'ExecReload=/bin/kill -HUP $MAINPID', 'TimeoutStopSec='])
      assert.ok(text.includes(line), line);
  });

  test('nginx/cairn.conf passes nginx -t', { skip: !(have('nginx') && have('openssl')) &&
    'nginx or openssl is not installed' }, () => {
    const dir = path.join(tmp, 'nginx');
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
    const o = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
      '-out', cert, '-days', '1', '-subj', '/CN=training.example.org'], { encoding: 'utf8' });
    assert.equal(o.status, 0, o.stderr);
    const site = fs.readFileSync(path.join(SOURCE_DIR, 'deploy/nginx/cairn.conf'), 'utf8')
      .replace('/etc/letsencrypt/live/training.example.org/fullchain.pem', cert)
      .replace('/etc/letsencrypt/live/training.example.org/privkey.pem', key);
    // client_max_body_size matches the example configuration's upload limit.
    const mb = /^upload_limit_mb = (\d+)$/m.exec(fs.readFileSync(path.join(SOURCE_DIR, 'deploy/cairn.conf'), 'utf8'))[1];
    assert.match(site, new RegExp(`client_max_body_size ${mb}m;`));
    fs.writeFileSync(path.join(dir, 'site.conf'), site);
    fs.writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\n` +
      `events {}\nhttp { access_log off; include ${dir}/site.conf; }\n`);
    const r = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /test is successful/);
  });
});
