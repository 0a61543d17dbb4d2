// Wall-clock times in Europe/London, whatever the browser's own time zone.
// Learners and officers are in England: a session must read the same on a
// laptop set to another zone as in the email and the calendar invitation.
// The API takes and gives UTC ("2026-03-02T09:30:00Z", docs/API.md); every
// page shows and reads dates and times through this file (common.js's
// formatDay/formatSpan/formatTime/formatDate/formatDateTime use it, the
// officer's session form converts with londonToUtc/utcToLondon).

export const LONDON = 'Europe/London';

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: LONDON, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** London's wall clock at instant ms, as the same fields in UTC (ms). */
function wallClock(ms) {
  const p = Object.fromEntries(parts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute),
    Number(p.second));
}

/**
 * The London wall clock at a Date (or anything new Date() takes):
 * {date: "YYYY-MM-DD", hour, minute}, or null for an invalid date.
 */
export function londonClock(when) {
  const ms = new Date(when).getTime();
  if (Number.isNaN(ms)) return null;
  const w = new Date(wallClock(ms));
  return { date: w.toISOString().slice(0, 10), hour: w.getUTCHours(), minute: w.getUTCMinutes() };
}

/** Today's date in London, "YYYY-MM-DD". */
export function londonToday(now = new Date()) {
  return londonClock(now).date;
}

/**
 * "2026-03-29" and "09:30" in London to ISO UTC, or null when either is not
 * a real date or time. A time that does not exist (the hour skipped when the
 * clocks go forward) moves on by the hour, as a clock would show it.
 */
export function londonToUtc(date, time) {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
  const t = /^(\d{2}):(\d{2})$/.exec(time || '');
  if (!d || !t) return null;
  const [y, mo, da, h, mi] = [d[1], d[2], d[3], t[1], t[2]].map(Number);
  const wanted = Date.UTC(y, mo - 1, da, h, mi);
  const check = new Date(wanted);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== da || h > 23 || mi > 59) return null;
  // the offset at a first guess, then again at the answer (it may cross a change)
  let ms = wanted - (wallClock(wanted) - wanted);
  ms = wanted - (wallClock(ms) - ms);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO UTC to {date: "YYYY-MM-DD", time: "HH:MM"} in London. */
export function utcToLondon(iso) {
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return { date: '', time: '' };
  const w = new Date(wallClock(ms)).toISOString();
  return { date: w.slice(0, 10), time: w.slice(11, 16) };
}
