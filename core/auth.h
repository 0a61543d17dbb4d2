/* auth.h: passwords, tokens and the sign-in rate limit.
 *
 * Passwords are hashed with Argon2id (libsodium crypto_pwhash_str_alg,
 * 19 MiB and 2 passes: OWASP's recommended minimum). Tokens (sessions, CSRF, attempt tokens) are
 * random bytes from libsodium, hex-encoded; only a hash of a session token
 * is stored. */
#ifndef CAIRN_AUTH_H
#define CAIRN_AUTH_H

#include <stdbool.h>
#include <stddef.h>

int auth_init(void);   /* sodium_init */

/* out must hold AUTH_HASH_MAX bytes. Returns 0 or -ENOMEM. */
#define AUTH_HASH_MAX 128
int auth_hash_password(const char *password, char *out);
/* Takes about as long for a missing hash (NULL) as for a real one, so that
 * timing does not tell whether an email is registered. */
bool auth_verify_password(const char *hash, const char *password);

/* Writes 2*nbytes hex characters and a NUL into out. */
void auth_random_hex(char *out, size_t nbytes);
void auth_token_hash(const char *token, unsigned char out[32]);
/* Constant-time comparison of two NUL-terminated tokens. */
bool auth_token_equal(const char *a, const char *b);

/* Sign-in rate limit: at most 5 failures per email and 20 per address in
 * 15 minutes. auth_rate_check returns the seconds to wait, or 0. */
int auth_rate_check(const char *email, const char *ip);
void auth_rate_failure(const char *email, const char *ip);
void auth_rate_success(const char *email);

#endif
