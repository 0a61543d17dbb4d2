// Package import: POST /api/packages and `cairn import`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { PACKAGES_DIR, pkg, runCairn, startServer } from '../lib/server.mjs';
import { Client, newLearner, request, streamBody } from '../lib/client.mjs';
import { ALL_GOLF, GOLF12, cmi12, commit, launch, training } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';

let srv, admin, officer;
const imported = {};

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  const o = srv.account('officer', 'hollowfield');
  officer = await new Client(srv.url).mustLogin(o.email, o.password);
});

after(async () => {
  await srv?.stop();
});

function upload(client, body, { filename, contentType = 'application/zip' } = {}) {
  const q = filename ? `?filename=${encodeURIComponent(filename)}` : '';
  return client.post(`/api/packages${q}`, undefined, { body, contentType });
}

function assertRefused(r, pattern) {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.code, 'bad_package', r.text);
  assert.match(r.body.error, pattern);
}

async function packageCount() {
  const r = await admin.get('/api/packages');
  assert.equal(r.status, 200);
  return r.body.packages.length;
}

describe('valid packages', () => {
  test('no packages at first', async () => {
    assert.equal(await packageCount(), 0);
  });

  for (const m of ALL_GOLF) {
    test(`upload ${m.zip}: 201 with its title, version and SCO count`, async () => {
      const r = await upload(admin, fs.readFileSync(pkg(m.zip)), { filename: m.zip });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.replaced, false);
      const p = r.body.package;
      assert.equal(p.title, m.title);
      assert.equal(p.scorm_version, m.version);
      assert.equal(p.sco_count, m.scos);
      assert.equal(p.identifier, m.identifier);
      assert.equal(p.version, 1);
      assert.equal(typeof p.id, 'number');
      imported[m.zip] = p.id;
      const list = await admin.get('/api/packages');
      const row = list.body.packages.find((x) => x.id === p.id);
      assert.ok(row, list.text);
      assert.equal(row.title, m.title);
      assert.equal(row.version, 1);
      assert.equal(row.sco_count, m.scos);
    });
  }

  test('the imported content is served', async () => {
    const id = imported[GOLF12.zip];
    const r = await admin.get(`/content/${id}/1/shared/launchpage.html`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<html/i);
  });

  test('officers may upload too', async () => {
    const zip = makeZip([{ name: 'imsmanifest.xml', data: manifest12({ identifier: 'officer.upload', title: 'Officer upload' }) },
      { name: 'index.html', data: '<!DOCTYPE html><title>x</title><p>hello' }]);
    const r = await upload(officer, zip, { contentType: 'application/x-zip-compressed' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.package.title, 'Officer upload');
    assert.equal(r.body.package.sco_count, 1);
    const r2 = await upload(officer, zip, { contentType: 'application/octet-stream' });
    assert.equal(r2.status, 201, r2.text);
    assert.equal(r2.body.replaced, true);
  });

  test('re-upload of the same zip: replaced, version 2, and a learner\'s record and state are kept', async () => {
    const id = imported[GOLF12.zip];
    assert.ok(id, 'golf 1.2 was imported by an earlier test');
    const l = await newLearner(srv.url);
    const first = await launch(l.client, id);
    assert.equal(first.sco.launch_url, `/content/${id}/1/shared/launchpage.html`);
    let r = await commit(l.client, first.sco,
      cmi12({ location: '7', suspend: 'seven', exit: 'suspend', session: '00:00:06' }), { final: true, beacon: true });
    assert.equal(r.status, 200, r.text);
    // Another learner who passed.
    const p = await newLearner(srv.url, 'Hollowfield');
    const pl = await launch(p.client, id);
    r = await commit(p.client, pl.sco, cmi12({ status: 'passed', raw: '75', session: '00:00:09' }), { final: true });
    assert.equal(r.status, 200, r.text);

    r = await upload(admin, fs.readFileSync(pkg(GOLF12.zip)), { filename: GOLF12.zip });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.replaced, true);
    assert.equal(r.body.package.id, id);
    assert.equal(r.body.package.version, 2);
    const list = await admin.get('/api/packages');
    assert.equal(list.body.packages.filter((x) => x.identifier === GOLF12.identifier).length, 1);
    assert.equal(list.body.packages.find((x) => x.id === id).version, 2);

    const m = await training(l.client, GOLF12);
    assert.equal(m.package_id, id);
    assert.equal(m.state, 'in progress');
    assert.equal(m.time_spent_seconds, 6);
    const again = await launch(l.client, id);
    assert.equal(again.sco.attempt, first.sco.attempt, 'the open attempt goes on');
    assert.equal(again.sco.cmi.cmi.core.entry, 'resume');
    assert.equal(again.sco.cmi.cmi.core.lesson_location, '7');
    assert.equal(again.sco.cmi.cmi.suspend_data, 'seven');
    assert.equal(again.sco.launch_url, `/content/${id}/1/shared/launchpage.html`,
      'an attempt keeps the version it started on');
    assert.equal((await l.client.get(again.sco.launch_url)).status, 200, 'version 1 is still served');

    const pm = await training(p.client, GOLF12);
    assert.equal(pm.state, 'passed');
    assert.equal(pm.score, 75);

    const n = await newLearner(srv.url);
    const nl = await launch(n.client, id);
    assert.equal(nl.sco.launch_url, `/content/${id}/2/shared/launchpage.html`, 'new attempts use version 2');
    assert.equal((await n.client.get(nl.sco.launch_url)).status, 200);
  });

  test('?filename= over 255 characters is ignored, not refused', async () => {
    const zip = makeZip([{ name: 'imsmanifest.xml', data: manifest12({ identifier: 'long.name' }) },
      { name: 'index.html', data: '<p>x' }]);
    const r = await upload(admin, zip, { filename: 'f'.repeat(300) + '.zip' });
    assert.equal(r.status, 201, r.text);
  });
});

describe('invalid packages', () => {
  test('invalid/badscorm.zip: 422 saying the manifest is in a sub-folder', async () => {
    const r = await upload(admin, fs.readFileSync(path.join(PACKAGES_DIR, 'invalid/badscorm.zip')));
    assertRefused(r, /imsmanifest\.xml/);
    assert.match(r.body.error, /badscorm\//, 'names the folder it is in');
    assert.match(r.body.error, /top|root|sub-?folder|folder/i);
  });

  test('invalid/invalid.zip: 422 saying there is no imsmanifest.xml', async () => {
    const r = await upload(admin, fs.readFileSync(path.join(PACKAGES_DIR, 'invalid/invalid.zip')));
    assertRefused(r, /no imsmanifest\.xml/i);
  });

  test('invalid/validaicc.zip: 422 saying AICC is not supported', async () => {
    const r = await upload(admin, fs.readFileSync(path.join(PACKAGES_DIR, 'invalid/validaicc.zip')));
    assertRefused(r, /AICC/);
  });

  test('invalid/singlescobasic_missingorg.zip: imported or 422, never 500', async () => {
    const before = await packageCount();
    const r = await upload(admin, fs.readFileSync(path.join(PACKAGES_DIR, 'invalid/singlescobasic_missingorg.zip')));
    assert.ok([201, 422].includes(r.status), `${r.status}: ${r.text}`);
    if (r.status === 422) {
      assert.equal(r.body.code, 'bad_package');
      assert.equal(await packageCount(), before);
      return;
    }
    // Imported with its resources as items: it must launch.
    assert.ok(r.body.package.sco_count >= 1, r.text);
    const l = await newLearner(srv.url);
    const b = await launch(l.client, r.body.package.id);
    assert.equal((await l.client.get(b.sco.launch_url)).status, 200);
  });

  const made = [
    ['a text file', () => Buffer.from('this is not a zip at all\n'), /zip/i],
    ['a truncated zip', () => fs.readFileSync(pkg(GOLF12.zip)).subarray(0, 100000), /zip|damaged|archive/i],
    ['a zip with no entries', () => makeZip([]), /imsmanifest\.xml|empty|damaged/i],
    ['a manifest that is not XML', () => makeZip([{ name: 'imsmanifest.xml', data: 'not <xml' },
      { name: 'index.html', data: 'x' }]), /manifest|XML/i],
    ['a launch file missing from the zip', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12({ href: 'missing.html' }) }]),
      /missing\.html/],
    ['an entry named ../escape.txt', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12() },
      { name: 'index.html', data: 'x' }, { name: '../../../escape.txt', data: 'escaped' }]), /escape\.txt|\.\./],
    ['an absolute entry name', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12() },
      { name: 'index.html', data: 'x' }, { name: '/tmp/cairn-absolute-escape.txt', data: 'escaped' }]), /absolute|cairn-absolute-escape/],
    ['a backslash entry name', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12() },
      { name: 'index.html', data: 'x' }, { name: '..\\..\\escape-bs.txt', data: 'escaped' }]), /escape-bs|\\/],
    ['a symlink entry', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12() },
      { name: 'index.html', data: 'x' }, { name: 'passwd', data: '/etc/passwd', symlink: true }]), /symbolic link/],
    ['a launch href that leaves the package', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12({ href: '../../../etc/passwd' }) },
      { name: 'index.html', data: 'x' }]), /passwd|\.\./],
    ['an entry whose size is a lie', () => makeZip([{ name: 'imsmanifest.xml', data: manifest12() },
      { name: 'index.html', data: 'x'.repeat(5000), deflate: true, declaredSize: 10 }]), /index\.html|size|damaged/i],
  ];
  for (const [name, build, pattern] of made) {
    test(`${name}: 422 with a message, nothing imported, nothing written outside`, async () => {
      const before = await packageCount();
      const r = await upload(admin, build());
      assertRefused(r, pattern);
      assert.equal(await packageCount(), before);
      const root = path.dirname(srv.dataDir);
      for (const f of ['escape.txt', 'escape-bs.txt'])
        for (const dir of [root, srv.dataDir, path.join(srv.dataDir, 'packages')])
          assert.equal(fs.existsSync(path.join(dir, f)), false, `${f} escaped into ${dir}`);
      assert.equal(fs.existsSync('/tmp/cairn-absolute-escape.txt'), false);
    });
  }

  test('empty body: 400', async () => {
    const r = await upload(admin, Buffer.alloc(0));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.code, 'empty');
  });

  test('wrong Content-Type: 415', async () => {
    for (const ct of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const r = await upload(admin, fs.readFileSync(pkg(GOLF12.zip)), { contentType: ct });
      assert.equal(r.status, 415, `${ct}: ${r.text}`);
      assert.equal(r.body.code, 'content_type');
    }
  });

  test('an upload over the limit is refused with 413 before it is read', async () => {
    const r = await streamBody(srv.url, '/api/packages', {
      headers: { 'Content-Type': 'application/zip', Cookie: admin.cookieHeader(), 'X-CSRF-Token': admin.csrf },
      totalBytes: 512 * 1024 * 1024 + 1, expectContinue: true,
    });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.sent, 0);
  });

  test('no temporary upload files are left behind', async () => {
    const tmp = path.join(srv.dataDir, 'tmp');
    // Give the server a moment to finish its clean-up of the last request.
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(fs.readdirSync(tmp), []);
    const pk = path.join(srv.dataDir, 'packages');
    for (const d of fs.readdirSync(pk))
      for (const v of fs.readdirSync(path.join(pk, d)))
        assert.match(v, /^\d+$/, `leftover ${d}/${v}`);
  });

  test('the server is still healthy', async () => {
    const r = await request(srv.url, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok\n');
  });
});

describe('cairn import (command line)', () => {
  let dir;
  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-import-'));
  });
  after(async () => {
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  test('a good package: exit 0 and a line saying what was imported', async () => {
    const r = await runCairn(['import', '--data', path.join(dir, 'data'), pkg(GOLF12.zip)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported "Golf Explained - Run-time Basic Calls" \(SCORM 1\.2, 1 SCOs\)/);
    assert.match(r.stdout, /version 1/);
    const again = await runCairn(['import', '--data', path.join(dir, 'data'), pkg(GOLF12.zip)]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /version 2/);
    assert.match(again.stdout, /replacing/);
  });

  const bad = [
    ['invalid/badscorm.zip', /imsmanifest\.xml.*badscorm\//],
    ['invalid/invalid.zip', /no imsmanifest\.xml/i],
    ['invalid/validaicc.zip', /AICC/],
  ];
  for (const [file, pattern] of bad) {
    test(`${file}: non-zero exit, the reason on stderr`, async () => {
      const r = await runCairn(['import', '--data', path.join(dir, 'data'), path.join(PACKAGES_DIR, file)]);
      assert.notEqual(r.code, 0);
      assert.equal(r.signal, null);
      assert.match(r.stderr, pattern);
      assert.match(r.stderr, new RegExp(path.basename(file).replace('.', '\\.')), 'names the file');
    });
  }

  test('a missing file and a non-zip file: non-zero exit with a message', async () => {
    const txt = path.join(dir, 'notes.zip');
    fs.writeFileSync(txt, 'hello');
    for (const f of [path.join(dir, 'absent.zip'), txt]) {
      const r = await runCairn(['import', '--data', path.join(dir, 'data'), f]);
      assert.notEqual(r.code, 0);
      assert.equal(r.signal, null);
      assert.match(r.stderr, new RegExp(path.basename(f).replace('.', '\\.')));
    }
  });

  test('no file named: exit 2 with usage', async () => {
    const r = await runCairn(['import', '--data', path.join(dir, 'data')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /zip/);
  });

  test('good and bad together: the good one is imported, the exit is non-zero', async () => {
    const data = path.join(dir, 'data2');
    const r = await runCairn(['import', '--data', data, path.join(PACKAGES_DIR, 'invalid/invalid.zip'),
      pkg('golf2004-3rd-runtime-basic.zip')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /imported "Golf Explained - Run-time Basic Calls" \(SCORM 2004/);
  });
});
