/* notify.c: notification messages, their delivery by SMTP, and the expiry
 * reminder sweep (notify.h).
 *
 * Building a message happens on the caller's thread (a request handler,
 * right after its store call committed): a few reads and one INSERT into
 * the outbox, then a signal to the delivery thread. Sending happens only on
 * the delivery thread, with libcurl's SMTP and explicit timeouts, so a slow
 * or absent mail server never holds a request.
 *
 * Invariants:
 *  1. A message is claimed (leased) before it is sent, and marked sent or
 *     retried right after: two processes do not send the same message
 *     within the lease (store_outbox_claim).
 *  2. Header values never contain CR or LF (clean_header); body lines are
 *     CRLF and at most 998 bytes (RFC 5322 2.1.1).
 *  3. The delivery thread is the only thread that calls libcurl;
 *     curl_global_init runs on the starting thread before it exists.
 *  4. Dates are written in Europe/London time, as the pages show them. */
#include "notify.h"
#include "api.h"
#include "log.h"
#include "plugin_host.h"
#include "store_courses.h"
#include "store_outbox.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    CLAIM_BATCH = 20,
    SWEEP_BATCH = 100,
    WAKE_SECONDS = 60,
    SMTP_CONNECT_TIMEOUT = 10,
    SMTP_TIMEOUT = 30,
    LINE_MAX_BYTES = 900,
};

/* ---- a growing string ---- */

typedef struct buf {
    char *s;
    size_t len, cap;
    bool oom;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void buf_printf(buf *b, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add(b, big, (size_t)n);
    free(big);
}

/* ---- Europe/London dates ---- */

/* The last Sunday of a month (0-based mon) at 01:00 UTC. */
static time_t last_sunday_0100(int year, int mon)
{
    struct tm tm = { .tm_year = year - 1900, .tm_mon = mon, .tm_mday = 31, .tm_hour = 1 };
    time_t t = timegm(&tm);
    struct tm chk;
    gmtime_r(&t, &chk);
    return t - (time_t)chk.tm_wday * 86400;
}

/* UK civil time: BST (UTC+1) from the last Sunday of March to the last
 * Sunday of October, both at 01:00 UTC. */
static void london_tm(time_t t, struct tm *ret)
{
    struct tm u;
    gmtime_r(&t, &u);
    int year = u.tm_year + 1900;
    if (t >= last_sunday_0100(year, 2) && t < last_sunday_0100(year, 9))
        t += 3600;
    gmtime_r(&t, ret);
}

static const char *const weekdays[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday" };
static const char *const months[] = { "January", "February", "March", "April", "May", "June",
                                      "July", "August", "September", "October", "November",
                                      "December" };

/* "9:30am", "midday", "midnight" (GOV.UK style, as common.js). */
static void fmt_time(const struct tm *tm, char out[16])
{
    int h = tm->tm_hour, m = tm->tm_min;
    if (m == 0 && h == 12)
        snprintf(out, 16, "midday");
    else if (m == 0 && h == 0)
        snprintf(out, 16, "midnight");
    else
        snprintf(out, 16, "%d:%02d%s", h % 12 ? h % 12 : 12, m, h < 12 ? "am" : "pm");
}

static void fmt_day(const struct tm *tm, char out[48])
{
    snprintf(out, 48, "%s %d %s %d", weekdays[tm->tm_wday], tm->tm_mday, months[tm->tm_mon],
             tm->tm_year + 1900);
}

static bool parse_iso(const char *s, time_t *ret)
{
    struct tm tm = { 0 };
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ret = timegm(&tm);
    return true;
}

/* "Monday 2 March 2026, 9:30am to 3:30pm" (both days when they differ). */
static void fmt_span(const char *starts, const char *ends, char out[160])
{
    time_t a, b;
    if (!parse_iso(starts, &a) || !parse_iso(ends, &b)) {
        snprintf(out, 160, "%s to %s", starts ? starts : "?", ends ? ends : "?");
        return;
    }
    struct tm ta, tb;
    london_tm(a, &ta);
    london_tm(b, &tb);
    char da[48], db[48], ha[16], hb[16];
    fmt_day(&ta, da);
    fmt_day(&tb, db);
    fmt_time(&ta, ha);
    fmt_time(&tb, hb);
    if (strcmp(da, db) == 0)
        snprintf(out, 160, "%s, %s to %s", da, ha, hb);
    else
        snprintf(out, 160, "%s, %s to %s, %s", da, ha, db, hb);
}

/* "2 March 2026" for "2026-03-02". */
static void fmt_date(const char *ymd, char out[40])
{
    int y, m, d;
    if (ymd && sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12)
        snprintf(out, 40, "%d %s %d", d, months[m - 1], y);
    else
        snprintf(out, 40, "%s", ymd ? ymd : "");
}

/* ---- the delivery thread's state ---- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static pthread_t g_thread;
static bool g_running, g_stop, g_wake;

static void wake(void)
{
    pthread_mutex_lock(&g_mu);
    g_wake = true;
    if (g_running)
        pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_mu);
}

static int enqueue(int64_t user_id, const char *to, const char *kind, const char *subject,
                   const char *body, const char *dedupe_key, bool *ret_added)
{
    cairn_outbox_new m = { .user_id = user_id, .to_addr = to, .kind = kind, .subject = subject,
                           .body = body, .dedupe_key = dedupe_key };
    bool added = false;
    int r = store_outbox_enqueue(&m, &added);
    if (r)
        log_error("notify", "%s for user %lld not queued: %s", kind, (long long)user_id,
                  strerror(-r));
    else if (added)
        wake();
    if (!r && ret_added)
        *ret_added = added;
    return r;
}

/* ---- building booking and session messages ---- */

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void link_line(buf *b, const char *text, const char *page)
{
    if (cfg.public_url && cfg.public_url[0])
        buf_printf(b, "\n%s: %s%s\n", text, cfg.public_url, page);
}

/* The session's details block: course, dates, venue, access, trainer. */
static void session_details(buf *b, json_t *s)
{
    json_t *c = json_object_get(s, "course"), *v = json_object_get(s, "venue");
    buf_printf(b, "Course: %s\n", jstr(c, "title"));
    json_t *dates = json_object_get(s, "dates"), *d;
    size_t i;
    json_array_foreach(dates, i, d) {
        char span[160];
        fmt_span(jstr(d, "starts_at"), jstr(d, "ends_at"), span);
        buf_printf(b, "%s %s\n", i == 0 ? (json_array_size(dates) > 1 ? "Dates:" : "When:")
                                        : "      ", span);
    }
    buf_printf(b, "Where: %s, %s\n", jstr(v, "name"), jstr(v, "address"));
    if (*jstr(v, "access_notes"))
        buf_printf(b, "Access: %s\n", jstr(v, "access_notes"));
    if (*jstr(s, "trainer"))
        buf_printf(b, "Trainer: %s\n", jstr(s, "trainer"));
    buf_printf(b, "Run by: %s\n", jstr(json_object_get(s, "host_borough"), "name"));
}

/* The subject's date part: the first day of the session, London time. */
static void first_day(json_t *s, char out[48])
{
    time_t t;
    struct tm tm;
    if (parse_iso(jstr(s, "starts_at"), &t)) {
        london_tm(t, &tm);
        fmt_day(&tm, out);
    } else {
        out[0] = '\0';
    }
}

/* Subject and opening paragraph for each kind. NULL when the kind is unknown. */
static bool kind_text(const char *kind, json_t *b, json_t *s, buf *subject, buf *intro)
{
    const char *title = jstr(json_object_get(s, "course"), "title");
    char day[48];
    first_day(s, day);
    const char *reason = jstr(b, "reason");
    if (!strcmp(kind, "booking_confirmed")) {
        buf_printf(subject, "Booking confirmed: %s, %s", title, day);
        buf_printf(intro, "Your place on this course is booked.\n");
    } else if (!strcmp(kind, "booking_pending")) {
        buf_printf(subject, "Booking waiting for approval: %s, %s", title, day);
        buf_printf(intro, "Your booking is held for you and is waiting for your training "
                   "officer's approval. We will write again when they have decided.\n");
    } else if (!strcmp(kind, "booking_approved")) {
        buf_printf(subject, "Booking approved: %s, %s", title, day);
        buf_printf(intro, "Your training officer approved your booking: your place is "
                   "confirmed.\n");
    } else if (!strcmp(kind, "booking_refused")) {
        buf_printf(subject, "Booking not approved: %s, %s", title, day);
        buf_printf(intro, "Your training officer did not approve your booking.\n%s%s%s",
                   *reason ? "Reason: " : "", reason, *reason ? "\n" : "");
    } else if (!strcmp(kind, "waitlisted")) {
        buf_printf(subject, "On the waitlist: %s, %s", title, day);
        json_t *pos = json_object_get(b, "waitlist_position");
        if (json_is_integer(pos))
            buf_printf(intro, "The course is full. You are number %lld on its waitlist; "
                       "we will write to you if a place becomes free.\n",
                       (long long)json_integer_value(pos));
        else
            buf_printf(intro, "The course is full. You are on its waitlist; we will write "
                       "to you if a place becomes free.\n");
    } else if (!strcmp(kind, "waitlist_promoted")) {
        bool pending = !strcmp(jstr(b, "status"), "pending");
        buf_printf(subject, "A place is free for you: %s, %s", title, day);
        buf_printf(intro, pending
            ? "A place became free and you were next on the waitlist. Your booking now "
              "waits for your training officer's approval.\n"
            : "A place became free and you were next on the waitlist: the place is yours.\n"
              "If you can no longer come, please cancel so that someone else can have it.\n");
    } else if (!strcmp(kind, "booking_cancelled")) {
        buf_printf(subject, "Booking cancelled: %s, %s", title, day);
        buf_printf(intro, "Your booking has been cancelled.\n%s%s%s",
                   *reason ? "Reason: " : "", reason, *reason ? "\n" : "");
        if (json_is_true(json_object_get(b, "late_cancellation")))
            buf_printf(intro, "This was inside the course's cancellation notice period, "
                       "so it is recorded as a late cancellation.\n");
    } else if (!strcmp(kind, "booking_moved")) {
        buf_printf(subject, "Booking moved: %s, %s", title, day);
        buf_printf(intro, "Your booking has been moved to the session below.\n");
    } else if (!strcmp(kind, "session_changed")) {
        buf_printf(subject, "Session changed: %s, %s", title, day);
        buf_printf(intro, "The details of a session you are booked on have changed. "
                   "Here is how it stands now.\n");
    } else if (!strcmp(kind, "session_cancelled")) {
        const char *why = jstr(s, "cancel_reason");
        buf_printf(subject, "Session cancelled: %s, %s", title, day);
        buf_printf(intro, "This session has been cancelled, so your booking is cancelled "
                   "too.\n%s%s%s", *why ? "Reason: " : "", why, *why ? "\n" : "");
    } else {
        return false;
    }
    return true;
}

/* One message about booking b (on session s) to its learner. */
static int booking_message(json_t *b, json_t *s, const char *kind, const char *dedupe_key)
{
    int64_t user_id = json_integer_value(json_object_get(b, "user_id"));
    cairn_user *u = NULL;
    int r = store_user_by_id(user_id, &u);
    if (r)
        return r;
    buf subject = { 0 }, intro = { 0 }, body = { 0 };
    if (!kind_text(kind, b, s, &subject, &intro)) {
        r = -EINVAL;
        goto out;
    }
    buf_printf(&body, "Dear %s,\n\n%s\n", u->name, intro.s ? intro.s : "");
    session_details(&body, s);
    link_line(&body, "Your bookings", "/courses.html");
    buf_printf(&body, "\nThis message was sent by Cairn, your safeguarding training service.\n");
    if (subject.oom || intro.oom || body.oom) {
        r = -ENOMEM;
        goto out;
    }
    r = enqueue(user_id, u->email, kind, subject.s, body.s, dedupe_key, NULL);
out:
    free(subject.s);
    free(intro.s);
    free(body.s);
    cairn_user_free(u);
    return r;
}

/* Kinds that happen at most once per booking get a dedupe key, so that a
 * retried request cannot send the same news twice. */
static bool once_per_booking(const char *kind)
{
    return strcmp(kind, "booking_moved") != 0;
}

int notify_booking(int64_t booking_id, const char *kind)
{
    json_t *b = NULL, *s = NULL;
    int r = store_booking_json(booking_id, &b);
    if (!r)
        r = store_course_session_json(json_integer_value(json_object_get(b, "session_id")), 0, &s);
    if (!r) {
        char key[96];
        snprintf(key, sizeof key, "booking:%lld:%s", (long long)booking_id, kind);
        r = booking_message(b, s, kind, once_per_booking(kind) ? key : NULL);
    }
    if (r)
        log_error("notify", "%s for booking %lld: %s", kind, (long long)booking_id, strerror(-r));
    json_decref(b);
    json_decref(s);
    return r;
}

int notify_session(int64_t session_id, const char *kind)
{
    json_t *s = NULL, *all = NULL;
    int r = store_course_session_json(session_id, 0, &s);
    if (!r)
        r = store_course_session_bookings_json(session_id, &all);
    if (r) {
        log_error("notify", "%s for session %lld: %s", kind, (long long)session_id, strerror(-r));
        json_decref(s);
        return r;
    }
    bool cancelled = !strcmp(kind, "session_cancelled");
    /* Cancelling a session leaves its bookings as they were: everyone who
     * holds a place or a waitlist place hears of it. */
    const char *lists[] = { "bookings", "waitlist" };
    int failed = 0;
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(all, lists[l]), i, e) {
            int64_t bid = json_integer_value(json_object_get(e, "id"));
            json_t *b = NULL;
            if (store_booking_json(bid, &b)) {
                failed++;
                continue;
            }
            char key[128];
            if (cancelled)
                snprintf(key, sizeof key, "session:%lld:cancelled:%lld",
                         (long long)session_id, (long long)bid);
            else
                snprintf(key, sizeof key, "session:%lld:seq%lld:%lld", (long long)session_id,
                         (long long)json_integer_value(json_object_get(s, "sequence")),
                         (long long)bid);
            if (booking_message(b, s, kind, key))
                failed++;
            json_decref(b);
        }
    }
    json_decref(all);
    json_decref(s);
    return failed ? -EIO : 0;
}

/* ---- SMTP ---- */

/* Copies s without CR and LF (header injection). */
static char *clean_header(const char *s)
{
    char *out = strdup(s ? s : "");
    if (!out)
        return NULL;
    char *w = out;
    for (const char *p = out; *p; p++)
        if (*p != '\r' && *p != '\n')
            *w++ = *p;
    *w = '\0';
    return out;
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Subject: header value, RFC 2047 B-encoded in words of whole UTF-8
 * characters when it is not ASCII, folded between words. */
static void subject_header(buf *out, const char *subject)
{
    buf_add(out, "Subject: ", 9);
    if (is_ascii(subject)) {
        buf_add(out, subject, strlen(subject));
        buf_add(out, "\r\n", 2);
        return;
    }
    size_t n = strlen(subject), i = 0;
    bool first = true;
    while (i < n) {
        size_t take = n - i < 45 ? n - i : 45;
        /* do not split a UTF-8 character: back off continuation bytes */
        while (take > 1 && i + take < n && ((unsigned char)subject[i + take] & 0xC0) == 0x80)
            take--;
        char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)subject + i, take,
                          sodium_base64_VARIANT_ORIGINAL);
        buf_printf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
        first = false;
        i += take;
    }
    buf_add(out, "\r\n", 2);
}

/* The address inside "Name <addr>", or the whole text. */
static void address_of(const char *from, char *out, size_t len)
{
    const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt && gt > lt + 1)
        snprintf(out, len, "%.*s", (int)(gt - lt - 1), lt + 1);
    else
        snprintf(out, len, "%s", from);
}

/* Body text with CRLF line ends, long lines broken at a space (or, with no
 * space, between UTF-8 characters) under LINE_MAX_BYTES. */
static void body_lines(buf *out, const char *body)
{
    const char *p = body;
    while (*p) {
        size_t len = strcspn(p, "\r\n");
        while (len > LINE_MAX_BYTES) {
            size_t cut = LINE_MAX_BYTES;
            while (cut > LINE_MAX_BYTES / 2 && p[cut] != ' ')
                cut--;
            if (p[cut] != ' ') {
                cut = LINE_MAX_BYTES;
                while (cut > 1 && ((unsigned char)p[cut] & 0xC0) == 0x80)
                    cut--;
            }
            buf_add(out, p, cut);
            buf_add(out, "\r\n", 2);
            if (p[cut] == ' ')
                cut++;
            p += cut;
            len -= cut;
        }
        buf_add(out, p, len);
        buf_add(out, "\r\n", 2);
        p += len;
        if (*p == '\r' && p[1] == '\n')
            p += 2;
        else if (*p)
            p++;
    }
}

/* The RFC 5322 message for m, into out. */
static int build_mail(const cairn_outbox_msg *m, buf *out)
{
    char *to = clean_header(m->to_addr), *from = clean_header(cfg.smtp_from);
    char *subject = clean_header(m->subject);
    if (!to || !from || !subject) {
        free(to);
        free(from);
        free(subject);
        return -ENOMEM;
    }
    char addr[320], date[64];
    address_of(from, addr, sizeof addr);
    const char *at = strrchr(addr, '@');
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    time_t created = now;
    parse_iso(m->created_at, &created);
    buf_printf(out, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date, from, to);
    subject_header(out, subject);
    buf_printf(out, "Message-ID: <cairn-outbox-%lld.%lld@%s>\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n"
               "Auto-Submitted: auto-generated\r\n\r\n",
               (long long)m->id, (long long)created, at && at[1] ? at + 1 : "cairn.invalid");
    body_lines(out, m->body);
    free(to);
    free(from);
    free(subject);
    return out->oom ? -ENOMEM : 0;
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *userp)
{
    upload *u = userp;
    size_t room = size * nmemb, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(dst, u->data + u->off, n);
    u->off += n;
    return n;
}

/* Aborts a send in progress when the server is stopping. */
static int progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)userp, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    pthread_mutex_lock(&g_mu);
    bool stop = g_stop;
    pthread_mutex_unlock(&g_mu);
    return stop ? 1 : 0;
}

/* Sends one message; 0, or -EIO with the reason in err. */
static int smtp_send(CURL *c, const cairn_outbox_msg *m, char err[CURL_ERROR_SIZE])
{
    buf mail = { 0 };
    int r = build_mail(m, &mail);
    if (r) {
        snprintf(err, CURL_ERROR_SIZE, "the message could not be built");
        free(mail.s);
        return r;
    }
    char from[320], rcpt[340];
    address_of(cfg.smtp_from, from, sizeof from);
    snprintf(rcpt, sizeof rcpt, "<%s>", m->to_addr);
    char mail_from[340];
    snprintf(mail_from, sizeof mail_from, "<%s>", from);
    struct curl_slist *to = curl_slist_append(NULL, rcpt);
    upload u = { .data = mail.s, .len = mail.len };
    err[0] = '\0';
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, cfg.smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)mail.len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)SMTP_CONNECT_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SMTP_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    /* smtp://: STARTTLS when the server offers it; smtps:// is TLS from the start */
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        snprintf(err, CURL_ERROR_SIZE, "not finished: Cairn was stopping");
    if (rc != CURLE_OK && !err[0])
        snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (code) {
            size_t n = strlen(err);
            snprintf(err + n, CURL_ERROR_SIZE - n, " (SMTP %ld)", code);
        }
    }
    curl_slist_free_all(to);
    free(mail.s);
    return rc == CURLE_OK ? 0 : -EIO;
}

/* Sends every due message; counts what happened. *ret_retry is set when a
 * message is waiting for a retry. Without an SMTP URL, sends nothing. */
static void deliver(int *ret_sent, int *ret_failed, bool *ret_retry)
{
    if (!cfg.smtp_url || !cfg.smtp_url[0])
        return;
    CURL *c = curl_easy_init();
    if (!c) {
        log_error("notify", "libcurl could not start");
        return;
    }
    for (;;) {
        cairn_outbox_msg *msgs = NULL;
        size_t n = 0;
        if (store_outbox_claim(CLAIM_BATCH, &msgs, &n) || n == 0) {
            cairn_outbox_msgs_free(msgs, n);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            char err[CURL_ERROR_SIZE];
            if (smtp_send(c, &msgs[i], err) == 0) {
                store_outbox_sent(msgs[i].id);
                (*ret_sent)++;
                continue;
            }
            bool failed = false;
            store_outbox_retry(msgs[i].id, err, cfg.smtp_retry_s ? cfg.smtp_retry_s : 60, &failed);
            log_warn("notify", "message %lld to %s not sent (attempt %d): %s%s",
                     (long long)msgs[i].id, msgs[i].to_addr, msgs[i].attempts + 1, err,
                     failed ? "; giving up" : "");
            if (failed)
                (*ret_failed)++;
            else
                *ret_retry = true;
        }
        cairn_outbox_msgs_free(msgs, n);
        pthread_mutex_lock(&g_mu);
        bool stop = g_stop;
        pthread_mutex_unlock(&g_mu);
        if (stop)
            break;
    }
    curl_easy_cleanup(c);
}

/* ---- expiry reminders ---- */

/* One reminder for one required item, and on_expiry once it has expired. */
static int remind(const cairn_user *u, json_t *item, bool *ret_added)
{
    const char *state = jstr(item, "state"), *expires = jstr(item, "expires");
    bool expired = !strcmp(state, "overdue");
    char key[200], date[40];
    snprintf(key, sizeof key, "%s:%lld:%s:%s", expired ? "expired" : "expiry",
             (long long)u->id, jstr(item, "id"), expires);
    fmt_date(expires, date);
    const char *title = jstr(item, "title");
    buf subject = { 0 }, body = { 0 };
    if (expired) {
        buf_printf(&subject, "Training expired: %s", title);
        buf_printf(&body, "Dear %s,\n\nYour training \"%s\" expired on %s. Your borough asks "
                   "you to refresh it now.\n", u->name, title, date);
    } else {
        buf_printf(&subject, "Training expires on %s: %s", date, title);
        buf_printf(&body, "Dear %s,\n\nYour training \"%s\" expires on %s. Please refresh it "
                   "before then.\n", u->name, title, date);
    }
    if (*jstr(item, "rule"))
        buf_printf(&body, "Your borough's rule: %s.\n", jstr(item, "rule"));
    link_line(&body, "My training", "/training.html");
    buf_printf(&body, "\nThis message was sent by Cairn, your safeguarding training service.\n");
    int r = subject.oom || body.oom ? -ENOMEM
          : enqueue(u->id, u->email, expired ? "training_expired" : "expiry_reminder",
                    subject.s, body.s, key, ret_added);
    if (!r && *ret_added && expired)
        plugin_observe(HOOK_ON_EXPIRY, u->id, json_pack("{ss ss ss sO ss}",
            "kind", "expired", "item", jstr(item, "id"), "title", title,
            "completed_at", json_object_get(item, "completed_at"), "expires", expires));
    free(subject.s);
    free(body.s);
    return r;
}

/* Every learner with a record: the same required-training computation as
 * GET /api/me/training (plugins_add_required), in batches. */
static int sweep(int *ret_reminders)
{
    int64_t ids[SWEEP_BATCH], after = 0;
    size_t n;
    int added_total = 0, r = 0;
    do {
        if ((r = store_outbox_sweep_learners(after, SWEEP_BATCH, ids, &n)))
            break;
        for (size_t i = 0; i < n; i++) {
            after = ids[i];
            cairn_user *u = NULL;
            if (store_user_by_id(ids[i], &u))
                continue;
            json_t *t = json_object();
            plugins_add_required(u, t);
            size_t k;
            json_t *item;
            json_array_foreach(json_object_get(t, "required"), k, item) {
                const char *state = jstr(item, "state");
                if (json_is_null(json_object_get(item, "completed_at")) ||
                    !json_is_string(json_object_get(item, "expires")) ||
                    (strcmp(state, "expiring") && strcmp(state, "overdue")))
                    continue;
                bool added = false;
                if (remind(u, item, &added) == 0 && added)
                    added_total++;
            }
            json_decref(t);
            cairn_user_free(u);
        }
        pthread_mutex_lock(&g_mu);
        bool stop = g_stop;
        pthread_mutex_unlock(&g_mu);
        if (stop)
            break;
    } while (n == SWEEP_BATCH);
    if (ret_reminders)
        *ret_reminders = added_total;
    return r;
}

/* ---- the thread ---- */

static void *notify_main(void *arg)
{
    (void)arg;
    time_t next_sweep = 0;
    bool retry = false;
    for (;;) {
        time_t now = time(NULL);
        if (now >= next_sweep) {
            int added = 0;
            sweep(&added);
            if (added)
                log_info("notify", "expiry sweep: %d reminders queued", added);
            next_sweep = now + (time_t)(cfg.reminder_hours ? cfg.reminder_hours : 24) * 3600;
        }
        int sent = 0, failed = 0;
        retry = false;
        deliver(&sent, &failed, &retry);
        if (sent || failed)
            log_info("notify", "%d messages sent, %d given up", sent, failed);
        pthread_mutex_lock(&g_mu);
        unsigned wait = WAKE_SECONDS;
        if (retry && cfg.smtp_retry_s && cfg.smtp_retry_s < wait)
            wait = cfg.smtp_retry_s;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait;
        while (!g_stop && !g_wake)
            if (pthread_cond_timedwait(&g_cond, &g_mu, &until) == ETIMEDOUT)
                break;
        g_wake = false;
        bool stop = g_stop;
        pthread_mutex_unlock(&g_mu);
        if (stop)
            break;
    }
    plugin_host_thread_release();
    store_close();
    return NULL;
}

int notify_start(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -EIO;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_lock(&g_mu);
    g_stop = false;
    g_wake = false;
    int e = pthread_create(&g_thread, NULL, notify_main, NULL);
    g_running = e == 0;
    pthread_mutex_unlock(&g_mu);
    if (e) {
        curl_global_cleanup();
        return -e;
    }
    return 0;
}

void notify_stop(void)
{
    pthread_mutex_lock(&g_mu);
    if (!g_running) {
        pthread_mutex_unlock(&g_mu);
        return;
    }
    g_stop = true;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_mu);
    pthread_join(g_thread, NULL);
    pthread_mutex_lock(&g_mu);
    g_running = false;
    pthread_mutex_unlock(&g_mu);
    curl_global_cleanup();
}

int notify_run_once(int *ret_reminders, int *ret_sent, int *ret_failed)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -EIO;
    int reminders = 0, sent = 0, failed = 0;
    bool retry = false;
    int r = sweep(&reminders);
    deliver(&sent, &failed, &retry);
    curl_global_cleanup();
    if (ret_reminders)
        *ret_reminders = reminders;
    if (ret_sent)
        *ret_sent = sent;
    if (ret_failed)
        *ret_failed = failed;
    return r;
}
