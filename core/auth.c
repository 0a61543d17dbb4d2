/* auth.c: see auth.h. */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { AUTH_OPSLIMIT = 2 };
#define AUTH_MEMLIMIT ((size_t)19 * 1024 * 1024)

int auth_init(void)
{
    return sodium_init() < 0 ? -EIO : 0;
}

int auth_hash_password(const char *password, char *out)
{
    _Static_assert(crypto_pwhash_STRBYTES <= AUTH_HASH_MAX, "hash buffer");
    /* Argon2id with OWASP's recommended floor (19 MiB, 2 passes): libsodium's
     * "interactive" 64 MiB held a worker thread for up to a second on this
     * class of machine and could take hundreds of MB with a few sign-ins
     * at once. The parameters live in the hash, so they can be raised later
     * and old hashes still verify. */
    if (crypto_pwhash_str_alg(out, password, strlen(password),
                              AUTH_OPSLIMIT, AUTH_MEMLIMIT,
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
 * A fixed table of recent failures keyed by a keyed hash of the email or
 * address, so memory is bounded whatever an attacker sends. The hash key is
 * random per process: nobody can choose emails that land on someone else's
 * slot. A key probes a few slots; a live slot of another key is never
 * taken while a free or expired one is in reach, and when all are live the
 * oldest goes (which an attacker cannot aim at). */

enum { RATE_SLOTS = 65536, RATE_PROBES = 8, RATE_WINDOW = 15 * 60, RATE_EMAIL = 5, RATE_IP = 20 };

typedef struct rate_slot {
    uint64_t key;
    time_t first;
    int count;
} rate_slot;

static rate_slot g_slots[RATE_SLOTS];
static unsigned char g_rate_secret[crypto_shorthash_KEYBYTES];
static pthread_once_t g_rate_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_rate_lock = PTHREAD_MUTEX_INITIALIZER;

static void rate_init(void)
{
    randombytes_buf(g_rate_secret, sizeof g_rate_secret);
}

static uint64_t rate_key(const char *kind, const char *value)
{
    char buf[300];
    size_t n = 0;
    buf[n++] = kind[0];
    for (const char *p = value; *p && n < sizeof buf; p++)
        buf[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    unsigned char h[crypto_shorthash_BYTES];
    pthread_once(&g_rate_once, rate_init);
    crypto_shorthash(h, (const unsigned char *)buf, n, g_rate_secret);
    uint64_t k;
    memcpy(&k, h, sizeof k);
    return k | 1;   /* 0 marks an empty slot */
}

static bool slot_live(const rate_slot *s, time_t now)
{
    return s->key && now - s->first < RATE_WINDOW;
}

/* The live slot holding key, or NULL. Caller holds the lock. */
static rate_slot *rate_find(uint64_t key, time_t now)
{
    for (unsigned i = 0; i < RATE_PROBES; i++) {
        rate_slot *s = &g_slots[(key + i) % RATE_SLOTS];
        if (s->key == key && slot_live(s, now))
            return s;
    }
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
    uint64_t ke = rate_key("e", email), ki = rate_key("i", ip);
    pthread_mutex_lock(&g_rate_lock);
    int a = rate_wait(ke, RATE_EMAIL, now);
    int b = rate_wait(ki, RATE_IP, now);
    pthread_mutex_unlock(&g_rate_lock);
    return a > b ? a : b;
}

static void rate_bump(uint64_t key, time_t now)
{
    rate_slot *s = rate_find(key, now);
    if (!s) {
        rate_slot *oldest = NULL;
        for (unsigned i = 0; i < RATE_PROBES && !s; i++) {
            rate_slot *c = &g_slots[(key + i) % RATE_SLOTS];
            if (!slot_live(c, now))
                s = c;
            else if (!oldest || c->first < oldest->first)
                oldest = c;
        }
        if (!s)
            s = oldest;
        s->key = key;
        s->first = now;
        s->count = 0;
    }
    s->count++;
}

void auth_rate_failure(const char *email, const char *ip)
{
    time_t now = time(NULL);
    uint64_t ke = rate_key("e", email), ki = rate_key("i", ip);
    pthread_mutex_lock(&g_rate_lock);
    rate_bump(ke, now);
    rate_bump(ki, now);
    pthread_mutex_unlock(&g_rate_lock);
}

void auth_rate_success(const char *email)
{
    uint64_t ke = rate_key("e", email);
    pthread_mutex_lock(&g_rate_lock);
    rate_slot *s = rate_find(ke, time(NULL));
    if (s)
        s->key = 0;
    pthread_mutex_unlock(&g_rate_lock);
}
