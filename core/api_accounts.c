/* api_accounts.c: registration, sign-in, sessions (docs/API.md "Accounts"). */
#include "api.h"
#include "compliance.h"
#include "auth.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    NAME_MAX_LEN = 200,
    EMAIL_MAX_LEN = 254,
    JOB_ROLE_MAX_LEN = 200,
    PASSWORD_MIN = 10,
    PASSWORD_MAX = 256,
};

static json_t *session_answer(const cairn_user *u, const char *csrf)
{
    return json_pack("{so ss}", "user", u ? cairn_user_json(u) : json_null(), "csrf_token", csrf);
}

/* Starts a session for user: a new token in the cookie, its hash stored. */
static int start_session(cairn_req *r, const cairn_user *u, char csrf[65])
{
    char token[65];
    unsigned char hash[32];
    auth_random_hex(token, 32);
    auth_random_hex(csrf, 32);
    auth_token_hash(token, hash);
    long max_age = (long)cfg.session_hours * 3600;
    int ret = store_session_create(hash, u->id, csrf, (int64_t)time(NULL) + max_age);
    if (ret)
        return ret;
    reply_cookie(r, "cairn_session", token, max_age, true);
    return 0;
}

void api_session(cairn_req *r)
{
    if (r->user) {
        reply_json(r, 200, session_answer(r->user, r->csrf));
        return;
    }
    /* Not signed in: a double-submit token for the sign-in and register forms. */
    const char *have = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "cairn_csrf");
    char fresh[65];
    if (!have || strlen(have) != 64) {
        auth_random_hex(fresh, 32);
        reply_cookie(r, "cairn_csrf", fresh, 12 * 3600, true);
        have = fresh;
    }
    reply_json(r, 200, session_answer(NULL, have));
}

void api_boroughs(cairn_req *r)
{
    json_t *list;
    if (store_boroughs_json(&list)) {
        reply_error(r, 500, "internal", "The list of boroughs could not be read.");
        return;
    }
    reply_json(r, 200, list);
}

static bool email_plausible(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.'))
        return false;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',')
            return false;
    return at[1] != '.' && e[strlen(e) - 1] != '.';
}

/* A required text field: present, trimmed length 1..max, no control chars. */
static const char *text_field(cairn_req *r, json_t *body, const char *key,
                              const char *label, size_t max)
{
    const char *v = json_str(body, key);
    if (!v || !v[0] || strspn(v, " \t") == strlen(v)) {
        reply_invalid(r, key, "Enter your %s.", label);
        return NULL;
    }
    if (text_chars(v) > max) {
        reply_invalid(r, key, "Your %s must be %zu characters or fewer.", label, max);
        return NULL;
    }
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p < ' ') {
            reply_invalid(r, key, "Your %s contains a character that is not allowed.", label);
            return NULL;
        }
    }
    return v;
}

static bool password_ok(cairn_req *r, const char *key, const char *pw)
{
    if (!pw || text_chars(pw) < PASSWORD_MIN) {
        reply_invalid(r, key, "Your password must be at least %d characters.", PASSWORD_MIN);
        return false;
    }
    if (text_chars(pw) > PASSWORD_MAX) {
        reply_invalid(r, key, "Your password must be %d characters or fewer.", PASSWORD_MAX);
        return false;
    }
    return true;
}

void api_register(cairn_req *r)
{
    json_t *body = req_json_object(r);
    if (!body)
        return;
    const char *name, *email, *job_role, *password = json_str(body, "password");
    json_t *bid = json_object_get(body, "borough_id");
    json_t *oid = json_object_get(body, "organisation_id");
    if (!(name = text_field(r, body, "name", "full name", NAME_MAX_LEN)) ||
        !(email = text_field(r, body, "email", "email address", EMAIL_MAX_LEN)))
        goto out;
    if (!email_plausible(email)) {
        reply_invalid(r, "email", "Enter an email address in the correct format, "
                      "like name@example.com.");
        goto out;
    }
    if (!password_ok(r, "password", password))
        goto out;
    if (!json_is_integer(bid) || json_integer_value(bid) <= 0) {
        reply_invalid(r, "borough_id", "Select your borough.");
        goto out;
    }
    if (!json_is_integer(oid) || json_integer_value(oid) <= 0) {
        reply_invalid(r, "organisation_id", "Select your organisation.");
        goto out;
    }
    if (!(job_role = text_field(r, body, "job_role", "job role", JOB_ROLE_MAX_LEN)))
        goto out;
    if (store_organisation_check(json_integer_value(bid), json_integer_value(oid)) != 0) {
        reply_invalid(r, "organisation_id", "Select an organisation in your borough.");
        goto out;
    }
    /* The borough's own rules, before anything is created. */
    if (!plugins_registration_allowed(r, name, email, job_role, json_integer_value(bid),
                                      json_integer_value(oid)))
        goto out;

    char hash[AUTH_HASH_MAX];
    if (auth_hash_password(password, hash)) {
        reply_error(r, 500, "internal", "The password could not be stored.");
        goto out;
    }
    cairn_new_user nu = {
        .email = email, .name = name, .password_hash = hash, .job_role = job_role,
        .role = ROLE_LEARNER, .borough_id = json_integer_value(bid),
        .organisation_id = json_integer_value(oid),
    };
    int64_t id;
    int ret = store_user_create(&nu, &id);
    if (ret == -EEXIST) {
        reply_error(r, 409, "email_taken", "An account with this email address already "
                    "exists: sign in instead.");
        goto out;
    }
    cairn_user *u = NULL;
    char csrf[65];
    if (ret || store_user_by_id(id, &u) || start_session(r, u, csrf)) {
        cairn_user_free(u);
        reply_error(r, 500, "internal", "The account could not be created.");
        goto out;
    }
    log_info("accounts", "registered user %lld", (long long)id);
    compliance_touch(id);     /* the reports count the new learner's required training */
    reply_json(r, 201, session_answer(u, csrf));
    cairn_user_free(u);
out:
    json_decref(body);
}

void api_login(cairn_req *r)
{
    json_t *body = req_json_object(r);
    if (!body)
        return;
    const char *email = json_str(body, "email"), *password = json_str(body, "password");
    if (!email || !email[0] || strlen(email) > EMAIL_MAX_LEN) {
        reply_invalid(r, "email", "Enter your email address.");
        goto out;
    }
    if (!password || !password[0] || strlen(password) > PASSWORD_MAX) {
        reply_invalid(r, "password", "Enter your password.");
        goto out;
    }
    int wait = auth_rate_check(email, r->client_ip);
    if (wait > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", wait);
        reply_error(r, 429, "rate_limited", "Too many failed attempts to sign in. Wait %d "
                    "minutes and try again.", (wait + 59) / 60);
        if (r->resp)
            MHD_add_response_header(r->resp, "Retry-After", secs);
        goto out;
    }
    cairn_user *u = NULL;
    char *hash = NULL;
    store_user_by_email(email, &u, &hash);
    bool ok = auth_verify_password(hash, password);
    free(hash);
    if (!ok) {
        cairn_user_free(u);
        auth_rate_failure(email, r->client_ip);
        reply_error(r, 401, "wrong_password", "The email address or password is not right.");
        goto out;
    }
    auth_rate_success(email);
    char csrf[65];
    /* A session cookie from before sign-in is replaced, never reused. */
    if (r->has_session_hash)
        store_session_delete(r->session_hash);
    if (start_session(r, u, csrf)) {
        cairn_user_free(u);
        reply_error(r, 500, "internal", "The session could not be started.");
        goto out;
    }
    reply_json(r, 200, session_answer(u, csrf));
    cairn_user_free(u);
out:
    json_decref(body);
}

void api_logout(cairn_req *r)
{
    if (r->has_session_hash)
        store_session_delete(r->session_hash);
    reply_cookie(r, "cairn_session", "", 0, true);
    reply_status(r, 204);
}
