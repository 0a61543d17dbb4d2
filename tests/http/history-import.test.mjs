// Importing past training records from a CSV file: POST /api/officer/imports
// (docs/API.md "Importing training history").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner, streamBody } from '../lib/client.mjs';

let srv, officerLeics, officerHollow, admin, l1, l2, h1;

function importCsv(client, csv, { dryRun = false, contentType = 'text/csv; charset=utf-8' } = {}) {
  const q = dryRun ? '?dry_run=1' : '';
  return client.request('POST', `/api/officer/imports${q}`, { body: csv, contentType });
}

function isoDaysFromNow(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(a.email, a.password);
  const b = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(b.email, b.password);
  const c = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(c.email, c.password);
  l1 = await newLearner(srv.url, 'Leicestershire');
  l2 = await newLearner(srv.url, 'Leicestershire');
  h1 = await newLearner(srv.url, 'Hollowfield');
});

after(async () => {
  await srv?.stop();
});

describe('a file with every kind of line', () => {
  const long = 'x'.repeat(201);
  const lines = [
    // header: any order, any case, a BOM, optional columns
    '\uFEFFKind,EMAIL,Item,date,Hours,provider,group,level,note',
  ];
  let csv;

  before(() => {
    const rows = [
      `elearning,${l1.email},Basic awareness,2024-03-01,3,Old LMS,,,migrated`,          // 2 accept
      `course,${l1.email},"Working together, ""in practice""",15/06/2023,6.5,County,b,1,`, // 3 accept
      'external,nobody@example.org,Conference,2024-01-01,2,,,,',                          // 4 unknown
      `external,${h1.email},Conference,2024-01-01,2,,,,`,                                  // 5 other borough
      `external,${l1.email},Conference,31/02/2024,2,,,,`,                                 // 6 bad date
      `external,${l1.email},Conference,${isoDaysFromNow(3)},2,,,,`,                       // 7 future
      `external,${l1.email},Conference,2024-01-01,abc,,,,`,                               // 8 hours NaN
      `external,${l1.email},Conference,2024-01-01,101,,,,`,                               // 9 hours > 100
      `webinar,${l1.email},Conference,2024-01-01,2,,,,`,                                  // 10 kind
      `external,${l1.email},,2024-01-01,2,,,,`,                                           // 11 no item
      `external,${l1.email},${long},2024-01-01,2,,,,`,                                    // 12 item too long
      `ELEARNING,${l1.email.toUpperCase()}, Basic awareness ,01/03/2024,3,,,,`,           // 13 same as 2
      `external,${l2.email},Designated lead conference,2022-11-30,1.25,,c,2,"a note, with a comma"`, // 14 accept
    ];
    csv = [lines[0], ...rows].join('\r\n') + '\r\n';
  });

  function byLine(body) {
    return Object.fromEntries(body.rows.map((r) => [r.line, r]));
  }

  test('a dry run reports every line with its reason and writes nothing', async () => {
    for (let round = 0; round < 2; round++) {
      const r = await importCsv(officerLeics, csv, { dryRun: true });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.dry_run, true);
      assert.equal(r.body.rows.length, 13);
      assert.deepEqual([r.body.accepted, r.body.rejected, r.body.duplicates], [3, 9, 1]);
      assert.equal(r.body.written, undefined);
      const rows = byLine(r.body);
      assert.deepEqual(rows[2], { line: 2, email: l1.email, item: 'Basic awareness',
        outcome: 'accept', reason: null });
      assert.equal(rows[3].item, 'Working together, "in practice"');
      assert.equal(rows[3].outcome, 'accept');
      assert.equal(rows[14].outcome, 'accept');
      const reasons = Object.fromEntries(Object.values(rows).filter((x) => x.outcome !== 'accept')
        .map((x) => [x.line, [x.outcome, x.reason]]));
      assert.deepEqual(reasons[4], ['reject', 'no learner with this email in your borough']);
      // another borough's learner looks exactly like an unknown email
      assert.deepEqual(reasons[5], reasons[4]);
      assert.match(reasons[6][1], /^date "31\/02\/2024" is not a date/);
      assert.match(reasons[7][1], /^date \d{4}-\d\d-\d\d is in the future$/);
      assert.match(reasons[8][1], /^hours "abc" must be a number from 0 to 100$/);
      assert.match(reasons[9][1], /^hours "101" must be a number from 0 to 100$/);
      assert.match(reasons[10][1], /^kind "webinar" must be elearning, course or external$/);
      assert.equal(reasons[11][1], 'item is missing');
      assert.match(reasons[12][1], /^item is too long/);
      assert.deepEqual(reasons[13], ['duplicate', 'the same record as line 2']);
      for (const n of [4, 5, 6, 7, 8, 9, 10, 11, 12])
        assert.equal(reasons[n][0], 'reject', `line ${n}`);
    }
  });

  test('the import writes the accepted lines; a second import writes nothing', async () => {
    let r = await importCsv(officerLeics, csv);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.dry_run, false);
    assert.deepEqual([r.body.accepted, r.body.rejected, r.body.duplicates, r.body.written],
      [3, 9, 1, 3]);
    r = await importCsv(officerLeics, csv);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.accepted, r.body.rejected, r.body.duplicates, r.body.written],
      [0, 9, 4, 0]);
    const rows = byLine(r.body);
    for (const n of [2, 3, 14])
      assert.deepEqual([rows[n].outcome, rows[n].reason], ['duplicate', 'already recorded']);
    // a dry run now says the same
    r = await importCsv(officerLeics, csv, { dryRun: true });
    assert.deepEqual([r.body.accepted, r.body.duplicates], [0, 4]);
  });
});

describe('importing twice', () => {
  test('a clean file: the second import finds every line already recorded', async () => {
    const csv = 'email,item,date,hours,kind\n' +
      `${l2.email},Neglect: recognising it,2023-09-12,3,course\n` +
      `${l2.email},Online safety,2023-10-01,1.5,elearning\n`;
    let r = await importCsv(officerLeics, csv);
    assert.deepEqual([r.status, r.body.accepted, r.body.written], [200, 2, 2], r.text);
    r = await importCsv(officerLeics, csv);
    assert.deepEqual([r.status, r.body.accepted, r.body.duplicates, r.body.written], [200, 0, 2, 0]);
    assert.ok(r.body.rows.every((x) => x.outcome === 'duplicate' && x.reason === 'already recorded'));
  });
});

describe('a big file', () => {
  test('20,000 lines are checked and imported in one go', async () => {
    // many lines: the server's list of lines grows many times over
    let csv = 'email,item,date,hours,kind\n';
    for (let i = 0; i < 20000; i++)
      csv += `${i % 2 ? l1.email : l2.email},Module ${i},2023-${String(1 + (i % 12)).padStart(2, '0')}-15,1,elearning\n`;
    let r = await importCsv(officerLeics, csv, { dryRun: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.rows.length, r.body.accepted, r.body.rows[19999].line], [20000, 20000, 20001]);
    r = await importCsv(officerLeics, csv);
    assert.deepEqual([r.status, r.body.written], [200, 20000]);
    r = await importCsv(officerLeics, csv, { dryRun: true });
    assert.deepEqual([r.body.accepted, r.body.duplicates], [0, 20000]);
  });
});

describe('boroughs', () => {
  test("another borough's officer cannot import for our learners; an admin can import for anyone", async () => {
    const csv = 'email,item,date,hours,kind\n' +
      `${l1.email},Safer recruitment,2024-02-02,6,course\n` +
      `${h1.email},Safer recruitment,2024-02-02,6,course\n`;
    let r = await importCsv(officerHollow, csv, { dryRun: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.rows.map((x) => [x.outcome, x.reason]), [
      ['reject', 'no learner with this email in your borough'],
      ['accept', null],
    ]);
    r = await importCsv(admin, csv + 'ghost@example.org,X,2024-02-02,1,course\n',
      { dryRun: true });
    assert.deepEqual(r.body.rows.map((x) => [x.outcome, x.reason]), [
      ['accept', null], ['accept', null], ['reject', 'no account with this email'],
    ]);
  });

  test('an officer cannot import training for themselves or another officer', async () => {
    const me = srv.account('officer', 'leics');
    const csv = 'email,item,date,hours,kind\n' +
      `${me.email},Designated lead refresher,2024-02-02,6,course\n` +
      `${l1.email},Designated lead refresher,2024-02-02,6,course\n`;
    let r = await importCsv(officerLeics, csv, { dryRun: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.rows.map((x) => [x.outcome, x.reason]), [
      ['reject', 'no learner with this email in your borough'],
      ['accept', null],
    ]);
    // an admin may still record an officer's training
    r = await importCsv(admin, csv, { dryRun: true });
    assert.deepEqual(r.body.rows.map((x) => x.outcome), ['accept', 'accept']);
  });

  test('learners may not import', async () => {
    const r = await importCsv(l1.client, 'email,item,date,hours,kind\n', { dryRun: true });
    assert.equal(r.status, 403, r.text);
  });
});

describe('files refused as a whole', () => {
  test('a header without the required columns is a 422 naming them', async () => {
    let r = await importCsv(officerLeics, 'email,item,hours\nx@example.org,A,1\n', { dryRun: true });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'file');
    assert.match(r.body.error, /lacks: date, kind\.$/);
    r = await importCsv(officerLeics, 'email,item,date,hours,kind,colour\n', { dryRun: true });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.error, /"colour"/);
    r = await importCsv(officerLeics, 'email,item,date,hours,kind,EMAIL\n', { dryRun: true });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.error, /twice/);
    r = await importCsv(officerLeics, '', { dryRun: true });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.error, /empty/);
    r = await importCsv(officerLeics, 'email,item,date,hours,kind\n', { dryRun: true });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.error, /no records/);
  });

  test('broken CSV is a 422 with the line', async () => {
    const r = await importCsv(officerLeics, 'email,item,date,hours,kind\n' +
      `${l1.email},ok,2024-01-01,1,course\n"unclosed,x,2024-01-01,1,course\n`, { dryRun: true });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.error, /^Line 3: a quoted field is not closed/);
    const latin1 = Buffer.from(`email,item,date,hours,kind\n${l1.email},caf\xe9,2024-01-01,1,course\n`, 'latin1');
    const r2 = await importCsv(officerLeics, latin1, { dryRun: true });
    assert.equal(r2.status, 422, r2.text);
    assert.match(r2.body.error, /not UTF-8/);
  });

  test('a file over 5 MB is a 413, before it is read', async () => {
    const headers = { 'Content-Type': 'text/csv', Cookie: officerLeics.cookieHeader(),
      'X-CSRF-Token': officerLeics.csrf };
    const r = await streamBody(srv.url, '/api/officer/imports?dry_run=1', {
      headers, totalBytes: 5 * 1024 * 1024 + 1, expectContinue: true });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.body.code, 'too_large');
  });

  test('more than 50,000 records is a 413', async () => {
    const row = `${l1.email},A,2024-01-01,1,course\n`;
    const csv = 'email,item,date,hours,kind\n' + row.repeat(50001);
    assert.ok(csv.length < 5 * 1024 * 1024);
    const r = await importCsv(officerLeics, csv, { dryRun: true });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.body.code, 'too_many_rows');
  });

  test('only text/csv is accepted; dry_run must be 0 or 1', async () => {
    let r = await importCsv(officerLeics, 'email,item,date,hours,kind\n', { contentType: 'application/json' });
    assert.equal(r.status, 415, r.text);
    assert.match(r.body.error, /text\/csv/);
    r = await officerLeics.request('POST', '/api/officer/imports?dry_run=maybe',
      { body: 'email,item,date,hours,kind\n', contentType: 'text/csv' });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'dry_run');
  });
});
