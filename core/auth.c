/* auth.c: see auth.h. */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int auth_init(void)
{
    return sodium_init() < 0 ? -EIO : 0;
}

int auth_hash_password(const char *password, char *out)
{
    _Static_assert(crypto_pwhash_STRBYTES <= AUTH_HASH_MAX, "hash buffer");
    if (crypto_pwhash_str_alg(out, password, strlen(password),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -ENOMEM;
    return 0;
}

bool auth_verify_password(const char *hash, const char *password)
{
    if (!hash) {
        /* Spend the same effort on an unknown account. */
        char tmp[AUTH_HASH_MAX];
        auth_hash_password(password, tmp);
        return false;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    randombytes_buf(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
}

void auth_token_hash(const char *token, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

bool auth_token_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b) || n == 0)
        return false;
    return sodium_memcmp(a, b, n) == 0;
}

/* ---- rate limit ----
 * A small fixed table of recent failures keyed by a hash of the email or
 * address; the oldest entry is reused when it is full, so memory is bounded
 * whatever an attacker sends. */

enum { RATE_SLOTS = 4096, RATE_WINDOW = 15 * 60, RATE_EMAIL = 5, RATE_IP = 20 };

typedef struct rate_slot {
    uint64_t key;
    time_t first;
    int count;
} rate_slot;

static rate_slot g_slots[RATE_SLOTS];
static pthread_mutex_t g_rate_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t rate_key(const char *kind, const char *value)
{
    unsigned char h[8];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind));
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        crypto_generichash_update(&st, &c, 1);
    }
    crypto_generichash_final(&st, h, sizeof h);
    uint64_t k;
    memcpy(&k, h, sizeof k);
    return k | 1;   /* 0 marks an empty slot */
}

/* Returns the slot for key (live), or NULL. Caller holds the lock. */
static rate_slot *rate_find(uint64_t key, time_t now)
{
    rate_slot *s = &g_slots[key % RATE_SLOTS];
    if (s->key == key && now - s->first < RATE_WINDOW)
        return s;
    return NULL;
}

static int rate_wait(uint64_t key, int limit, time_t now)
{
    rate_slot *s = rate_find(key, now);
    if (!s || s->count < limit)
        return 0;
    return (int)(RATE_WINDOW - (now - s->first));
}

int auth_rate_check(const char *email, const char *ip)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&g_rate_lock);
    int a = rate_wait(rate_key("e", email), RATE_EMAIL, now);
    int b = rate_wait(rate_key("i", ip), RATE_IP, now);
    pthread_mutex_unlock(&g_rate_lock);
    return a > b ? a : b;
}

static void rate_bump(uint64_t key, time_t now)
{
    rate_slot *s = &g_slots[key % RATE_SLOTS];
    if (s->key != key || now - s->first >= RATE_WINDOW) {
        s->key = key;
        s->first = now;
        s->count = 0;
    }
    s->count++;
}

void auth_rate_failure(const char *email, const char *ip)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&g_rate_lock);
    rate_bump(rate_key("e", email), now);
    rate_bump(rate_key("i", ip), now);
    pthread_mutex_unlock(&g_rate_lock);
}

void auth_rate_success(const char *email)
{
    pthread_mutex_lock(&g_rate_lock);
    rate_slot *s = &g_slots[rate_key("e", email) % RATE_SLOTS];
    if (s->key == rate_key("e", email))
        s->key = 0;
    pthread_mutex_unlock(&g_rate_lock);
}
