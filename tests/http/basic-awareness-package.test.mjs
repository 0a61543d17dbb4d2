// The basic awareness module's package (modules-content/, built by
// tools/build_module.py): a deterministic SCORM 2004 4th edition zip with the
// identifier the borough plugins use, which `cairn import` accepts and
// `cairn serve` imports at first start, once per build.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR, cairnBin, runCairn } from '../lib/server.mjs';
import { Client, request } from '../lib/client.mjs';

const BUILD_DIR = process.env.CAIRN_BUILD || path.join(SOURCE_DIR, 'build');
const MODULES_DIR = path.join(BUILD_DIR, 'modules-content');
const ZIP = path.join(MODULES_DIR, 'cairn-basic-awareness.zip');
const SOURCES = path.join(SOURCE_DIR, 'modules-content', 'basic-awareness');
const BUILDER = path.join(SOURCE_DIR, 'modules-content', 'tools', 'build_module.py');
const IDENTIFIER = 'cairn.basic-awareness';
const TITLE = 'Introduction to safeguarding: basic awareness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-module-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a Python snippet (python3 is wherever meson is) and parses its JSON output. */
function python(script, args = []) {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const INSPECT = `
import json, sys, zipfile
import xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
infos = z.infolist()
raw = z.read('imsmanifest.xml')
root = ET.fromstring(raw)
def tree(e):
    return {'tag': e.tag, 'attrib': dict(e.attrib), 'text': (e.text or '').strip(),
            'children': [tree(c) for c in e]}
print(json.dumps({
    'names': [i.filename for i in infos],
    'times': sorted({'%04d-%02d-%02d %02d:%02d:%02d' % i.date_time for i in infos}),
    'methods': sorted({i.compress_type for i in infos}),
    'doctype': b'<!DOCTYPE' in raw,
    'manifest': tree(root),
}))
`;

const CP = '{http://www.imsglobal.org/xsd/imscp_v1p1}';
const ADLCP = '{http://www.adlnet.org/xsd/adlcp_v1p3}';
const ADLSEQ = '{http://www.adlnet.org/xsd/adlseq_v1p3}';
const SS = '{http://www.imsglobal.org/xsd/imsss}';

function kids(node, tag) {
  return node.children.filter((c) => c.tag === tag);
}

function only(node, tag) {
  const list = kids(node, tag);
  assert.equal(list.length, 1, `one ${tag} in ${node.tag}`);
  return list[0];
}

describe('the built package', () => {
  test('is a SCORM 2004 4th edition content package with the identifier cairn.basic-awareness', () => {
    assert.ok(fs.existsSync(ZIP), `${ZIP} is built`);
    const z = python(INSPECT, [ZIP]);
    // The manifest at the top, every entry a file, in sorted order.
    assert.ok(z.names.includes('imsmanifest.xml'));
    assert.deepEqual(z.names, [...z.names].sort());
    assert.ok(z.names.every((n) => !n.endsWith('/') && !n.includes('..')));
    assert.equal(z.doctype, false);

    const m = z.manifest;
    assert.equal(m.tag, `${CP}manifest`);
    assert.equal(m.attrib.identifier, IDENTIFIER);
    assert.match(m.attrib.version, /^\d+\.\d+\+[0-9a-f]{12}$/, 'version = source version + build hash');
    const schemaLocation = m.attrib['{http://www.w3.org/2001/XMLSchema-instance}schemaLocation'];
    for (const ns of ['http://www.imsglobal.org/xsd/imscp_v1p1', 'http://www.adlnet.org/xsd/adlcp_v1p3',
      'http://www.adlnet.org/xsd/adlseq_v1p3', 'http://www.adlnet.org/xsd/adlnav_v1p3',
      'http://www.imsglobal.org/xsd/imsss'])
      assert.ok(schemaLocation.includes(ns), ns);
    // CAM 4th edition: metadata, organizations, resources, in that order.
    assert.deepEqual(m.children.map((c) => c.tag), [`${CP}metadata`, `${CP}organizations`, `${CP}resources`]);
    const meta = only(m, `${CP}metadata`);
    assert.equal(only(meta, `${CP}schema`).text, 'ADL SCORM');
    assert.equal(only(meta, `${CP}schemaversion`).text, '2004 4th Edition');

    const orgs = only(m, `${CP}organizations`);
    const org = only(orgs, `${CP}organization`);
    assert.equal(orgs.attrib.default, org.attrib.identifier);
    assert.equal(org.attrib[`${ADLSEQ}objectivesGlobalToSystem`], 'false');
    assert.deepEqual(org.children.map((c) => c.tag), [`${CP}title`, `${CP}item`, `${SS}sequencing`]);
    assert.equal(only(org, `${CP}title`).text, TITLE);
    const item = only(org, `${CP}item`);
    assert.deepEqual(item.children.map((c) => c.tag), [`${CP}title`, `${SS}sequencing`]);
    const seq = only(item, `${SS}sequencing`);
    // imsss: objectives come before deliveryControls in the sequencing schema.
    assert.deepEqual(seq.children.map((c) => c.tag), [`${SS}objectives`, `${SS}deliveryControls`]);
    const primary = only(only(seq, `${SS}objectives`), `${SS}primaryObjective`);
    assert.equal(primary.attrib.satisfiedByMeasure, 'true');
    assert.equal(only(primary, `${SS}minNormalizedMeasure`).text, '0.8');
    const delivery = only(seq, `${SS}deliveryControls`);
    assert.equal(delivery.attrib.completionSetByContent, 'true');
    assert.equal(delivery.attrib.objectiveSetByContent, 'true');

    const res = only(only(m, `${CP}resources`), `${CP}resource`);
    assert.equal(item.attrib.identifierref, res.attrib.identifier);
    assert.equal(res.attrib.type, 'webcontent');
    assert.equal(res.attrib[`${ADLCP}scormType`], 'sco');
    assert.equal(res.attrib.href, 'index.html');
    // Every file is listed, and every listed file is in the zip.
    const files = kids(res, `${CP}file`).map((f) => f.attrib.href).sort();
    assert.deepEqual(files, z.names.filter((n) => n !== 'imsmanifest.xml').sort());
    for (const f of ['index.html', 'content.js', 'module.js', 'module.css'])
      assert.ok(files.includes(f), f);
  });

  test('is deterministic: the same sources give the same bytes, with fixed times', () => {
    const z = python(INSPECT, [ZIP]);
    assert.deepEqual(z.times, ['2000-01-01 00:00:00']);
    assert.deepEqual(z.methods, [0], 'stored: no zlib version can change a byte');
    const again = path.join(tmp, 'again.zip');
    const r = spawnSync('python3', [BUILDER, SOURCES, again], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const hash = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    assert.equal(hash(again), hash(ZIP));
  });

  test('the build refuses a module with a real-looking phone number or a question without an explanation', () => {
    for (const [file, from, to, message] of [
      ['lessons/06-raising-a-concern.md', 'Call **999** if a child', 'Call 020 7946 0000 if a child', /phone number/],
      ['assessment.md', /\nExplanation: Working Together to Safeguard Children 2023 and the Children Act 1989[^\n]*\n/, '\n',
        /needs an "Explanation:"/],
    ]) {
      const copy = path.join(tmp, `bad-${path.basename(file)}`);
      fs.cpSync(SOURCES, copy, { recursive: true });
      const p = path.join(copy, file);
      const before = fs.readFileSync(p, 'utf8');
      const after = before.replace(from, to);
      assert.notEqual(after, before, `the test changed ${file}`);
      fs.writeFileSync(p, after);
      const r = spawnSync('python3', [BUILDER, copy, path.join(tmp, 'bad.zip')], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, message);
    }
  });

  test('cairn import accepts it as SCORM 2004 with one SCO', async () => {
    const r = await runCairn(['import', '--data', path.join(tmp, 'import-data'), ZIP]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`imported "${TITLE}" \\(SCORM 2004, 1 SCOs\\) as package 1 version 1`));
  });
});

/** Starts `cairn serve` on dataDir; resolves to {url, stop(), stderr()}. */
function serve(dataDir, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cairnBin(), ['serve', '--data', dataDir, '--port', '0', '--listen', '127.0.0.1', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const exited = new Promise((res) => child.on('exit', res));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no listening line\n${err}`)); }, 20000);
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /Cairn is listening on (http:\/\/[^\s/]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stderr: () => err,
          async stop() {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`cairn serve exited (${code})\n${err}`)); });
  });
}

async function adminPackages(dataDir, args) {
  const srv = await serve(dataDir, args);
  try {
    const c = await new Client(srv.url).mustLogin('admin@module.example', 'a long admin password');
    const r = await c.get('/api/packages');
    assert.equal(r.status, 200, r.text);
    return { packages: r.body.packages, stderr: srv.stderr(), client: c, srv };
  } catch (e) {
    await srv.stop();
    throw e;
  }
}

describe('cairn serve imports the module at first start', () => {
  const data = path.join(tmp, 'serve-data');

  test('an empty server gets the module as package version 1, playable as SCORM 2004', async () => {
    const u = await runCairn(['user', 'add', '--data', data, '--email', 'admin@module.example', '--name', 'Admin',
      '--role', 'admin', '--password-stdin'], { input: 'a long admin password\n' });
    assert.equal(u.code, 0, u.stderr);
    const { packages, client, srv } = await adminPackages(data, ['--modules', MODULES_DIR]);
    try {
      assert.equal(packages.length, 1);
      assert.equal(packages[0].identifier, IDENTIFIER);
      assert.equal(packages[0].title, TITLE);
      assert.equal(packages[0].scorm_version, '2004');
      assert.equal(packages[0].version, 1);
      const l = await client.post(`/api/packages/${packages[0].id}/launch`, {});
      assert.equal(l.status, 200, l.text);
      assert.equal(l.body.sco.cmi.cmi.scaled_passing_score, '0.8');
      assert.match(l.body.sco.launch_url, /^\/content\/\d+\/1\/index\.html$/);
      const page = await request(srv.url, l.body.sco.launch_url, { headers: { Cookie: client.cookieHeader() } });
      assert.equal(page.status, 200);
      assert.match(page.headers['content-type'], /^text\/html/);
      assert.match(page.text, /<html lang="en-GB">/);
      assert.match(page.text, new RegExp(`<title>${TITLE}</title>`));
    } finally {
      await srv.stop();
    }
  });

  test('a restart with the same build adds no version', async () => {
    const { packages, stderr, srv } = await adminPackages(data, ['--modules', MODULES_DIR]);
    await srv.stop();
    assert.equal(packages.length, 1);
    assert.equal(packages[0].version, 1);
    assert.match(stderr, /already imported/);
  });

  test('a changed build becomes version 2, once', async () => {
    const src = path.join(tmp, 'changed');
    const out = path.join(tmp, 'changed-modules');
    fs.cpSync(SOURCES, src, { recursive: true });
    fs.mkdirSync(out);
    const mod = path.join(src, 'module.md');
    fs.writeFileSync(mod, fs.readFileSync(mod, 'utf8').replace(/^version: .*$/m, 'version: 1.1'));
    const r = spawnSync('python3', [BUILDER, src, path.join(out, 'cairn-basic-awareness.zip')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (let start = 0; start < 2; start++) {
      const { packages, srv } = await adminPackages(data, ['--modules', out]);
      await srv.stop();
      assert.equal(packages.length, 1);
      assert.equal(packages[0].version, 2, `start ${start + 1}`);
    }
    // The earlier build is not brought back either: it was imported before.
    const { packages, srv } = await adminPackages(data, ['--modules', MODULES_DIR]);
    await srv.stop();
    assert.equal(packages[0].version, 2);
  });

  test('--modules none imports nothing', async () => {
    const other = path.join(tmp, 'none-data');
    const u = await runCairn(['user', 'add', '--data', other, '--email', 'admin@module.example', '--name', 'Admin',
      '--role', 'admin', '--password-stdin'], { input: 'a long admin password\n' });
    assert.equal(u.code, 0, u.stderr);
    const { packages, srv } = await adminPackages(other, ['--modules', 'none']);
    await srv.stop();
    assert.deepEqual(packages, []);
  });
});
