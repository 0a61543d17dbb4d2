/* manifest.c: imsmanifest.xml (IMS Content Packaging + ADL SCORM) to JSON.
 *
 * Steps, each a function below, each refusing with a message for the person
 * who uploaded the package:
 *   1. mf_read()          libxml2 from memory: no network, no DTD (a DOCTYPE
 *                         stops the parser at once), errors with line numbers.
 *   2. mf_walk()          caps element depth, notes the namespaces declared.
 *   3. mf_version()       schemaversion, else the ADL namespaces: 1.2 or 2004.
 *   4. mf_resources()     resources with their xml:base chain resolved.
 *   5. mf_organizations() the item tree of every organization, and for the
 *                         default one the flattened list of launchable items
 *                         ("scos") with launch path, query and the ADL and
 *                         IMS SS values the run-time needs. No organization
 *                         but SCO resources: mf_synthesize() builds one.
 *   6. mf_sequencing()    SCORM 2004: the default organization as an activity
 *                         tree with its IMS SS / ADL sequencing definitions.
 * Elements are matched by namespace URI (any IMS CP version, or none, for
 * CP elements; either ADL CP version for adlcp elements, whose names are
 * matched without case since 1.2 and 2004 spell them differently).
 */
#include "manifest.h"
#include "zipread.h"   /* cairn_zip_quote() for messages */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#define NS_ADLCP12 "http://www.adlnet.org/xsd/adlcp_rootv1p2"
#define NS_ADLCP13 "http://www.adlnet.org/xsd/adlcp_v1p3"
#define NS_IMSSS "http://www.imsglobal.org/xsd/imsss"
#define NS_ADLSEQ "http://www.adlnet.org/xsd/adlseq_v1p3"
#define NS_ADLNAV "http://www.adlnet.org/xsd/adlnav_v1p3"
#define SYNTH_ORG_ID "cairn-synthesized-organization"

enum mf_ns { MF_CP, MF_ADLCP, MF_SS, MF_ADLSEQ, MF_ADLNAV };

/* Quotes document text into a message: valid UTF-8, bounded. */
#define MF_Q(text, buf) cairn_zip_quote((text), (buf), sizeof(buf))

typedef struct mf {
    xmlDocPtr doc;                 /* owned */
    xmlNodePtr root;               /* borrowed from doc */
    xmlNodePtr seq_collection;     /* imsss:sequencingCollection, or NULL */
    xmlNodePtr default_org;        /* the <organization> played, or NULL */
    bool seq_seen;                 /* it or its items carry sequencing */
    int version;                   /* 12 or 2004 */
    const char *edition;           /* static: NULL, "2nd", "3rd", "4th" */
    bool saw_adlcp12, saw_adlcp13, saw_imsss;
    json_t *out;                   /* owned: the result being built */
    json_t *resources;             /* owned reference; out holds another */
    json_t *res_by_id;             /* owned: identifier -> resource */
    json_t *item_ids;              /* owned: identifiers of items seen */
    json_t *warnings;              /* owned reference; out holds another */
    size_t n_items;
    cairn_err *err;
} mf;

/* ---- small helpers ----------------------------------------------------- */

static int mf_fail(mf *m, xmlNodePtr at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int mf_fail(mf *m, xmlNodePtr at, int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long line = at ? xmlGetLineNo(at) : -1;
    if (line > 0)
        return cairn_err_set(m->err, code, "%s (imsmanifest.xml line %ld)", msg, line);
    return cairn_err_set(m->err, code, "%s", msg);
}

static int mf_oom(mf *m)
{
    return cairn_err_set(m->err, -ENOMEM, "Out of memory reading imsmanifest.xml.");
}

static bool mf_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A malloc()ed copy of s without surrounding XML whitespace; NULL for NULL. */
static char *mf_trim_dup(const xmlChar *xs)
{
    const char *s = (const char *)xs;
    if (!s)
        return NULL;
    while (mf_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && mf_space(s[n - 1]))
        n--;
    return strndup(s, n);
}

static bool mf_ns_is(const xmlNs *ns, enum mf_ns kind)
{
    const char *h = ns ? (const char *)ns->href : NULL;
    switch (kind) {
    case MF_CP:
        return !h || !strncmp(h, "http://www.imsproject.org/xsd/imscp", 35) ||
               !strncmp(h, "http://www.imsglobal.org/xsd/imscp", 34);
    case MF_ADLCP:
        return h && (!strcmp(h, NS_ADLCP12) || !strcmp(h, NS_ADLCP13));
    case MF_SS:
        return h && !strcmp(h, NS_IMSSS);
    case MF_ADLSEQ:
        return h && !strcmp(h, NS_ADLSEQ);
    case MF_ADLNAV:
        return h && !strcmp(h, NS_ADLNAV);
    }
    return false;
}

static bool mf_is(const xmlNode *n, enum mf_ns kind, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE || !mf_ns_is(n->ns, kind))
        return false;
    const char *local = (const char *)n->name;
    return kind == MF_ADLCP ? !strcasecmp(local, name) : !strcmp(local, name);
}

static xmlNodePtr mf_child(xmlNodePtr parent, enum mf_ns kind, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (mf_is(c, kind, name))
            return c;
    return NULL;
}

/* An attribute without namespace, trimmed and malloc()ed, or NULL. */
static char *mf_attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s = mf_trim_dup(v);
    xmlFree(v);
    return s;
}

/* An attribute in the ADL CP namespace (name matched without case). */
static char *mf_attr_adlcp(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (!mf_ns_is(a->ns, MF_ADLCP) || strcasecmp((const char *)a->name, name))
            continue;
        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
        char *s = mf_trim_dup(v);
        xmlFree(v);
        return s;
    }
    return NULL;
}

static char *mf_xml_base(xmlNodePtr n)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"base", XML_XML_NAMESPACE);
    char *s = mf_trim_dup(v);
    xmlFree(v);
    return s;
}

/* The element's text, trimmed and malloc()ed; NULL if n is NULL. */
static char *mf_text(xmlNodePtr n)
{
    if (!n)
        return NULL;
    xmlChar *v = xmlNodeGetContent(n);
    char *s = v ? mf_trim_dup(v) : strdup("");
    xmlFree(v);
    return s;
}

static bool mf_truthy(const char *s)
{
    return s && (!strcasecmp(s, "true") || !strcmp(s, "1"));
}

/* xs:decimal without the C library's locale: [+-]digits[.digits]. Keeps 15
 * significant digits, which is all a score needs. */
static bool mf_decimal(const char *s, double lo, double hi, double *ret)
{
    static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
        1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    uint64_t mant = 0;
    int sig = 0, frac = 0;
    bool neg = false, dot = false, digit = false;

    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    for (; *s; s++) {
        if (*s == '.' && !dot) {
            dot = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            return false;
        digit = true;
        if (sig >= 15 || frac >= 22) {
            if (!dot)
                return false;    /* too big for any score */
            continue;            /* precision we do not need */
        }
        mant = mant * 10 + (uint64_t)(*s - '0');
        if (mant)
            sig++;
        if (dot)
            frac++;
    }
    if (!digit)
        return false;
    double v = (double)mant / pow10[frac];
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return false;
    *ret = v;
    return true;
}

/* Integral values as JSON integers, so 80 is written "80", not "80.0". */
static json_t *mf_jnum(double v)
{
    if (v == (double)(long long)v && v > -1e15 && v < 1e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static int mf_put(mf *m, json_t *obj, const char *key, json_t *val)
{
    return json_object_set_new(obj, key, val) ? mf_oom(m) : 0;
}

static int mf_put_str(mf *m, json_t *obj, const char *key, const char *s)
{
    return mf_put(m, obj, key, s ? json_string(s) : json_null());
}

static int mf_push(mf *m, json_t *arr, json_t *val)
{
    return json_array_append_new(arr, val) ? mf_oom(m) : 0;
}

static const char *mf_jstr(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- 1. reading the XML ------------------------------------------------ */

static pthread_once_t mf_once = PTHREAD_ONCE_INIT;

static void mf_init(void)
{
    xmlInitParser();
}

/* What the parser callbacks saw; reached through ctxt->_private. */
struct mf_seen {
    bool dtd;
    int line;          /* of the first error, 0 if none */
    char msg[256];
};

/* Library code does not print. libxml2 reports the last error; the first
 * one is the one that names the actual mistake, so keep that. */
static void mf_on_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct mf_seen *seen = ctxt ? ctxt->_private : NULL;
    if (!seen || !e || e->level < XML_ERR_ERROR || seen->line)
        return;
    seen->line = e->line > 0 ? e->line : 1;
    char raw[sizeof seen->msg];
    snprintf(raw, sizeof raw, "%s", e->message ? e->message : "unknown error");
    raw[strcspn(raw, "\n")] = '\0';
    MF_Q(raw, seen->msg);
}

/* Errors raised outside the parser context (encoding conversion) go to the
 * thread's structured handler; mf_read() points it here for the parse. */
static void mf_silence(void *ctx, xmlErrorPtr e)
{
    (void)ctx, (void)e;
}

/* SAX hook for "<!DOCTYPE": called before the internal subset is parsed, so
 * no entity is ever declared, let alone expanded or fetched. */
static void mf_refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                          const xmlChar *sys_id)
{
    (void)name, (void)ext_id, (void)sys_id;
    xmlParserCtxtPtr ctxt = ctx;
    ((struct mf_seen *)ctxt->_private)->dtd = true;
    xmlStopParser(ctxt);
}

static int mf_read(mf *m, const char *buf, size_t len)
{
    struct mf_seen seen = { .dtd = false };
    int r = 0;

    if (len == 0)
        return cairn_err_set(m->err, -EBADMSG, "imsmanifest.xml is empty.");
    if (len > CAIRN_MANIFEST_MAX_SIZE)
        return cairn_err_set(m->err, -EFBIG, "imsmanifest.xml is %zu bytes; the limit is %zu.",
                             len, CAIRN_MANIFEST_MAX_SIZE);
    pthread_once(&mf_once, mf_init);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return mf_oom(m);
    ctxt->_private = &seen;
    ctxt->sax->internalSubset = mf_refuse_dtd;
    ctxt->sax->serror = mf_on_error;
    /* libxml2 keeps these per thread, so borrowing them is safe. */
    xmlStructuredErrorFunc saved_fn = xmlStructuredError;
    void *saved_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, mf_silence);
    /* No NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE: nothing from
     * outside the buffer, and libxml2's own size limits stay on. */
    m->doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "imsmanifest.xml", NULL, XML_PARSE_NONET);
    xmlSetStructuredErrorFunc(saved_ctx, saved_fn);
    if (seen.dtd || (m->doc && (m->doc->intSubset || m->doc->extSubset))) {
        r = cairn_err_set(m->err, -EPERM,
            "imsmanifest.xml has a DOCTYPE declaration; SCORM manifests do not need one "
            "and Cairn refuses them, since they can expand entities or fetch files.");
    } else if (!m->doc) {
        r = cairn_err_set(m->err, -EBADMSG, "imsmanifest.xml is not well-formed XML: line %d: %s",
                          seen.line, seen.line ? seen.msg : "unknown error");
    }
    xmlFreeParserCtxt(ctxt);
    return r;
}

/* ---- 2. depth and namespaces ------------------------------------------- */

static void mf_note_ns(mf *m, const xmlNode *n)
{
    for (const xmlNs *ns = n->nsDef; ns; ns = ns->next) {
        const char *h = (const char *)ns->href;
        if (!h)
            continue;
        m->saw_adlcp12 |= !strcmp(h, NS_ADLCP12);
        m->saw_adlcp13 |= !strcmp(h, NS_ADLCP13);
        m->saw_imsss |= !strcmp(h, NS_IMSSS);
    }
}

/* Iterative, so that the depth check itself cannot overflow the stack; the
 * recursive item walk later relies on this bound. */
static int mf_walk(mf *m)
{
    xmlNodePtr n = m->root;
    int depth = 1;
    while (n) {
        if (n->type == XML_ELEMENT_NODE) {
            if (depth > CAIRN_MANIFEST_MAX_DEPTH)
                return mf_fail(m, n, -EFBIG,
                    "imsmanifest.xml nests elements more than %d deep.", CAIRN_MANIFEST_MAX_DEPTH);
            mf_note_ns(m, n);
            if (n->children) {
                n = n->children;
                depth++;
                continue;
            }
        }
        while (n != m->root && !n->next) {
            n = n->parent;
            depth--;
        }
        if (n == m->root)
            break;
        n = n->next;
    }
    return 0;
}

/* ---- 3. version -------------------------------------------------------- */

static int mf_version_from_text(mf *m, xmlNodePtr at, const char *v)
{
    static const struct { const char *text; int version; const char *edition; } known[] = {
        { "1.2", 12, NULL },
        { "CAM 1.3", 2004, "2nd" },
        { "1.3", 2004, "2nd" },
        { "2004 2nd Edition", 2004, "2nd" },
        { "2004 3rd Edition", 2004, "3rd" },
        { "2004 4th Edition", 2004, "4th" },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (!strcasecmp(v, known[i].text)) {
            m->version = known[i].version;
            m->edition = known[i].edition;
            return 0;
        }
    }
    char q[80];
    return mf_fail(m, at, -ENOTSUP,
        "imsmanifest.xml declares schemaversion '%s'; Cairn plays SCORM 1.2 and "
        "SCORM 2004 (CAM 1.3, 3rd or 4th Edition) packages only.", MF_Q(v, q));
}

static int mf_version(mf *m)
{
    xmlNodePtr sv = mf_child(mf_child(m->root, MF_CP, "metadata"), MF_CP, "schemaversion");
    char *text = mf_text(sv);
    int r = 0;

    if (sv && !text)
        return mf_oom(m);
    if (text && *text)
        r = mf_version_from_text(m, sv, text);
    else if (m->saw_adlcp13 || m->saw_imsss)
        m->version = 2004;
    else if (m->saw_adlcp12)
        m->version = 12;
    else
        r = cairn_err_set(m->err, -ENOTSUP,
            "imsmanifest.xml does not say which SCORM version it follows (no schemaversion "
            "and no ADL namespace); Cairn plays SCORM 1.2 and 2004 packages only.");
    if (r == 0)
        r = mf_put_str(m, m->out, "schemaversion", text && *text ? text : NULL);
    free(text);
    return r;
}

/* ---- paths ------------------------------------------------------------- */

/* Has a URI scheme ("http:", "C:") or starts at a host or the root. */
static bool mf_is_absolute(const char *s)
{
    if (s[0] == '/' || s[0] == '\\')
        return true;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == ':')
            return p != s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return false;
    }
    return false;
}

/* xml:base values are joined as folders: "" or a string ending in '/'.
 * (Strict RFC 3986 would drop a last segment without '/', which authors
 * never mean in a package.) An absolute base replaces what came before. */
static char *mf_join_base(const char *outer, const char *inner)
{
    char *s = NULL;
    const char *a = outer ? outer : "";
    const char *b = inner ? inner : "";
    if (*b && mf_is_absolute(b))
        a = "";
    size_t la = strlen(a), lb = strlen(b);
    bool sep = la && a[la - 1] != '/' && lb;
    bool tail = lb && b[lb - 1] != '/';
    if (asprintf(&s, "%s%s%s%s", a, sep ? "/" : "", b, tail ? "/" : "") < 0)
        return NULL;
    return s;
}

/* Resolves "." and ".." and drops empty segments. NULL if the path climbs
 * above the package root or ends up empty; *ret_oom tells those apart. */
static char *mf_normalize(const char *p, bool *ret_oom)
{
    char *out = malloc(strlen(p) + 1);
    size_t o = 0;
    *ret_oom = !out;
    if (!out)
        return NULL;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (o == 0) {
                free(out);
                return NULL;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* Appends an item's parameters to the href's query and fragment, following
 * the IMS CP best practice: leading '?' and '&' are dropped; a parameter
 * string starting with '#' is a fragment, ignored if the href has one;
 * otherwise it joins the query with '&' (or starts it with '?'). */
static char *mf_launch_query(const char *hquery, size_t hquery_len, const char *hfrag,
                             const char *params)
{
    const char *pq = "", *pfrag = NULL;
    size_t pq_len = 0;
    char *s = NULL;

    if (params && params[0] == '#') {
        pfrag = params + 1;
    } else if (params) {
        while (*params == '?' || *params == '&')
            params++;
        pq = params;
        pq_len = strcspn(params, "#");
        if (params[pq_len] == '#')
            pfrag = params + pq_len + 1;
    }
    const char *frag = hfrag ? hfrag : pfrag;
    bool has_q = hquery_len || pq_len;
    if (asprintf(&s, "%s%.*s%s%.*s%s%s", has_q ? "?" : "", (int)hquery_len, hquery,
                 hquery_len && pq_len ? "&" : "", (int)pq_len, pq,
                 frag && *frag ? "#" : "", frag && *frag ? frag : "") < 0)
        return NULL;
    return s;
}

/* The file to launch (inside the package, no query) and what to append to
 * its URL, from the resource's base and href and the item's parameters. */
static int mf_launch(mf *m, xmlNodePtr at, const char *item_id, const char *base,
                     const char *href, const char *params, char **ret_path, char **ret_query)
{
    size_t plen = strcspn(href, "?#");
    const char *hq = href[plen] == '?' ? href + plen + 1 : "";
    size_t hq_len = strcspn(hq, "#");
    const char *hash = strchr(href, '#');
    char *full = NULL, *path = NULL, *query = NULL;
    char qi[100], qp[150];
    bool oom = false;
    int r = 0;

    if (asprintf(&full, "%s%.*s", base ? base : "", (int)plen, href) < 0)
        return mf_oom(m);
    if (mf_is_absolute(full)) {
        r = mf_fail(m, at, -EINVAL, "Item '%s' launches '%s', which is not a file in the "
                    "package; Cairn plays only content inside the package.",
                    MF_Q(item_id, qi), MF_Q(full, qp));
        goto out;
    }
    path = mf_normalize(full, &oom);
    if (!path) {
        r = oom ? mf_oom(m) : mf_fail(m, at, -EINVAL,
            "Item '%s' launches '%s', which points outside the package.",
            MF_Q(item_id, qi), MF_Q(full, qp));
        goto out;
    }
    query = mf_launch_query(hq, hq_len, hash ? hash + 1 : NULL, params);
    if (!query) {
        r = mf_oom(m);
        goto out;
    }
    *ret_path = path;
    *ret_query = query;
    path = NULL;
out:
    free(full);
    free(path);
    return r;
}

/* ---- 4. resources ------------------------------------------------------ */

/* Children's attribute `attr` of CP elements `name`, as a JSON array. */
static int mf_attr_list(mf *m, xmlNodePtr parent, const char *name, const char *attr,
                        json_t *obj, const char *key)
{
    json_t *arr = json_array();
    if (!arr)
        return mf_oom(m);
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (!mf_is(c, MF_CP, name))
            continue;
        char *v = mf_attr(c, attr);
        if (v && *v && mf_push(m, arr, json_string(v)) < 0) {
            free(v);
            json_decref(arr);
            return -ENOMEM;
        }
        free(v);
    }
    return mf_put(m, obj, key, arr);
}

static int mf_resource_fill(mf *m, xmlNodePtr rn, const char *id, const char *base, json_t *res)
{
    char *type = mf_attr(rn, "type");
    char *st = mf_attr_adlcp(rn, "scormtype");
    char *href = mf_attr(rn, "href");
    int r;

    if ((r = mf_put_str(m, res, "identifier", id)) < 0 ||
        (r = mf_put_str(m, res, "type", type)) < 0 ||
        (r = mf_put_str(m, res, "scorm_type", st && !strcasecmp(st, "sco") ? "sco" : "asset")) < 0 ||
        (r = mf_put_str(m, res, "href", href && *href ? href : NULL)) < 0 ||
        (r = mf_put_str(m, res, "base", base)) < 0 ||
        (r = mf_attr_list(m, rn, "file", "href", res, "files")) < 0)
        goto out;
    r = mf_attr_list(m, rn, "dependency", "identifierref", res, "dependencies");
out:
    free(type);
    free(st);
    free(href);
    return r;
}

static int mf_resource(mf *m, xmlNodePtr rn, const char *outer_base)
{
    char *id = mf_attr(rn, "identifier");
    char *xb = mf_xml_base(rn);
    char *base = mf_join_base(outer_base, xb);
    json_t *res = json_object();
    char q[100];
    int r;

    if (!base || !res) {
        r = mf_oom(m);
        goto out;
    }
    if (!id || !*id) {
        r = mf_fail(m, rn, -EINVAL, "A <resource> in imsmanifest.xml has no identifier.");
        goto out;
    }
    if (json_object_get(m->res_by_id, id)) {
        r = mf_fail(m, rn, -EINVAL, "Two resources share the identifier '%s'.", MF_Q(id, q));
        goto out;
    }
    if ((r = mf_resource_fill(m, rn, id, base, res)) < 0)
        goto out;
    if (json_object_set(m->res_by_id, id, res) || json_array_append(m->resources, res))
        r = mf_oom(m);
out:
    json_decref(res);
    free(id);
    free(xb);
    free(base);
    return r;
}

static int mf_resources(mf *m)
{
    xmlNodePtr rs = mf_child(m->root, MF_CP, "resources");
    char *mbase = mf_xml_base(m->root);
    char *rbase = rs ? mf_xml_base(rs) : NULL;
    char *base = mf_join_base(mbase, rbase);
    int r = base ? 0 : mf_oom(m);

    for (xmlNodePtr c = rs ? rs->children : NULL; c && r == 0; c = c->next)
        if (mf_is(c, MF_CP, "resource"))
            r = mf_resource(m, c, base);
    free(mbase);
    free(rbase);
    free(base);
    return r;
}

/* ---- 5. items and SCOs ------------------------------------------------- */

/* The IMS SS element `name` of the item's <imsss:sequencing>, or of the
 * collection entry its IDRef names: item-level elements win. */
static xmlNodePtr mf_seq_part_ns(mf *m, xmlNodePtr item, enum mf_ns kind, const char *name)
{
    xmlNodePtr seq = mf_child(item, MF_SS, "sequencing");
    xmlNodePtr part = mf_child(seq, kind, name);
    if (part || !seq || !m->seq_collection)
        return part;
    char *ref = mf_attr(seq, "IDRef");
    for (xmlNodePtr c = m->seq_collection->children; ref && c && !part; c = c->next) {
        if (!mf_is(c, MF_SS, "sequencing"))
            continue;
        char *id = mf_attr(c, "ID");
        if (id && !strcmp(id, ref))
            part = mf_child(c, kind, name);
        free(id);
    }
    free(ref);
    return part;
}

static xmlNodePtr mf_seq_part(mf *m, xmlNodePtr item, const char *name)
{
    return mf_seq_part_ns(m, item, MF_SS, name);
}

/* A number from an element's text or an attribute; empty means absent
 * (JSON null). Out of range or not a number is an error naming the item. */
static int mf_number(mf *m, xmlNodePtr at, const char *item_id, const char *what,
                     const char *text, double lo, double hi, const double *dflt, json_t *sco,
                     const char *key)
{
    double v;
    char qi[100], qt[40];
    if (!text || !*text) {
        if (!dflt)
            return mf_put(m, sco, key, json_null());
        v = *dflt;
    } else if (!mf_decimal(text, lo, hi, &v)) {
        return mf_fail(m, at, -EINVAL, "Item '%s' has %s '%s', which is not a number "
                       "from %g to %g.", MF_Q(item_id, qi), what, MF_Q(text, qt), lo, hi);
    }
    return mf_put(m, sco, key, mf_jnum(v));
}

static const double mf_one = 1.0;

/* scaled_passing_score: the primary objective's minNormalizedMeasure when it
 * is satisfied by measure (1.0 if not given), else null. */
static int mf_passing(mf *m, xmlNodePtr item, const char *id, json_t *sco)
{
    xmlNodePtr po = mf_child(mf_seq_part(m, item, "objectives"), MF_SS, "primaryObjective");
    char *by = po ? mf_attr(po, "satisfiedByMeasure") : NULL;
    int r;
    if (!mf_truthy(by)) {
        free(by);
        return mf_put(m, sco, "scaled_passing_score", json_null());
    }
    xmlNodePtr mnm = mf_child(po, MF_SS, "minNormalizedMeasure");
    char *text = mf_text(mnm);
    r = mf_number(m, mnm, id, "minNormalizedMeasure", text, -1, 1, &mf_one, sco,
                  "scaled_passing_score");
    free(by);
    free(text);
    return r;
}

/* completion_threshold: 3rd edition puts it in the element's text; 4th in
 * attributes, where it applies only when completedByMeasure is true. */
static int mf_threshold(mf *m, xmlNodePtr item, const char *id, json_t *sco)
{
    xmlNodePtr ct = mf_child(item, MF_ADLCP, "completionThreshold");
    char *text = mf_text(ct), *by = NULL, *mpm = NULL;
    int r;
    if (!ct) {
        r = mf_put(m, sco, "completion_threshold", json_null());
    } else if (text && *text) {
        r = mf_number(m, ct, id, "completionThreshold", text, 0, 1, NULL, sco,
                      "completion_threshold");
    } else {
        by = mf_attr(ct, "completedByMeasure");
        mpm = mf_attr(ct, "minProgressMeasure");
        r = mf_truthy(by)
            ? mf_number(m, ct, id, "minProgressMeasure", mpm, 0, 1, &mf_one, sco, "completion_threshold")
            : mf_put(m, sco, "completion_threshold", json_null());
    }
    free(text);
    free(by);
    free(mpm);
    return r;
}

/* Text of the ADL element `name` under the item, as a string or null. */
static int mf_adlcp_text(mf *m, xmlNodePtr item, const char *name, json_t *sco, const char *key)
{
    char *text = mf_text(mf_child(item, MF_ADLCP, name));
    int r = mf_put_str(m, sco, key, text && *text ? text : NULL);
    free(text);
    return r;
}

/* max_time_allowed: adlcp:maxtimeallowed (1.2), else the 2004 limit
 * condition attemptAbsoluteDurationLimit. */
static int mf_max_time(mf *m, xmlNodePtr item, json_t *sco)
{
    char *v = mf_text(mf_child(item, MF_ADLCP, "maxtimeallowed"));
    if (!v || !*v) {
        xmlNodePtr lc = mf_seq_part(m, item, "limitConditions");
        free(v);
        v = lc ? mf_attr(lc, "attemptAbsoluteDurationLimit") : NULL;
    }
    int r = mf_put_str(m, sco, "max_time_allowed", v && *v ? v : NULL);
    free(v);
    return r;
}

/* The run-time values an item carries (all null for a synthesized one). */
static int mf_sco_values(mf *m, xmlNodePtr item, const char *id, json_t *sco)
{
    int r;
    if (!item) {
        static const char *const keys[] = { "mastery_score", "scaled_passing_score",
            "completion_threshold", "data_from_lms", "max_time_allowed", "time_limit_action" };
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if ((r = mf_put(m, sco, keys[i], json_null())) < 0)
                return r;
        return 0;
    }
    xmlNodePtr ms = mf_child(item, MF_ADLCP, "masteryscore");
    char *mtext = mf_text(ms);
    r = mf_number(m, ms, id, "masteryscore", mtext, 0, 100, NULL, sco, "mastery_score");
    free(mtext);
    if (r < 0 || (r = mf_passing(m, item, id, sco)) < 0 ||
        (r = mf_threshold(m, item, id, sco)) < 0 ||
        (r = mf_adlcp_text(m, item, "datafromlms", sco, "data_from_lms")) < 0 ||
        (r = mf_max_time(m, item, sco)) < 0)
        return r;
    return mf_adlcp_text(m, item, "timelimitaction", sco, "time_limit_action");
}

/* Appends the launchable item to the flattened "scos" list. item may be
 * NULL for a synthesized organization. */
static int mf_sco(mf *m, xmlNodePtr item, const char *id, const char *title, int depth,
                  json_t *res, const char *params, json_t *scos)
{
    char *path = NULL, *query = NULL;
    json_t *sco = json_object();
    int r;

    if (!sco)
        return mf_oom(m);
    r = mf_launch(m, item, id, mf_jstr(res, "base"), mf_jstr(res, "href"), params, &path, &query);
    if (r < 0 ||
        (r = mf_put_str(m, sco, "id", id)) < 0 ||
        (r = mf_put_str(m, sco, "title", title)) < 0 ||
        (r = mf_put(m, sco, "depth", json_integer(depth))) < 0 ||
        (r = mf_put_str(m, sco, "resource", mf_jstr(res, "identifier"))) < 0 ||
        (r = mf_put_str(m, sco, "scorm_type", mf_jstr(res, "scorm_type"))) < 0 ||
        (r = mf_put_str(m, sco, "launch_path", path)) < 0 ||
        (r = mf_put_str(m, sco, "launch_query", query)) < 0 ||
        (r = mf_sco_values(m, item, id, sco)) < 0 ||
        (r = mf_put(m, sco, "has_sequencing",
                    json_boolean(item && mf_child(item, MF_SS, "sequencing")))) < 0)
        goto out;
    r = mf_push(m, scos, json_incref(sco));
out:
    json_decref(sco);
    free(path);
    free(query);
    return r;
}

/* A clear message for an identifierref that names no resource. */
static int mf_missing_resource(mf *m, xmlNodePtr item, const char *id, const char *ref)
{
    char qi[100], qr[100];
    for (xmlNodePtr c = m->root->children; c; c = c->next) {
        if (!mf_is(c, MF_CP, "manifest"))
            continue;
        char *sub = mf_attr(c, "identifier");
        bool hit = sub && !strcmp(sub, ref);
        free(sub);
        if (hit)
            return mf_fail(m, item, -ENOTSUP, "Item '%s' refers to the sub-manifest "
                           "'%s'; Cairn does not support sub-manifests.",
                           MF_Q(id, qi), MF_Q(ref, qr));
    }
    return mf_fail(m, item, -EINVAL, "Item '%s' refers to resource '%s', which is not "
                   "listed in <resources>.", MF_Q(id, qi), MF_Q(ref, qr));
}

static int mf_item(mf *m, xmlNodePtr it, int depth, json_t *scos, json_t **ret);

static int mf_item_children(mf *m, xmlNodePtr it, int depth, json_t *scos, json_t *item)
{
    json_t *children = json_array();
    int r = children ? 0 : mf_oom(m);
    for (xmlNodePtr c = it->children; c && r == 0; c = c->next) {
        json_t *child = NULL;
        if (mf_is(c, MF_CP, "item") && (r = mf_item(m, c, depth + 1, scos, &child)) == 0)
            r = mf_push(m, children, child);
    }
    if (r < 0) {
        json_decref(children);
        return r;
    }
    return mf_put(m, item, "children", children);
}

/* Item fields other than children; *ret_res is its resource, if any. */
static int mf_item_fields(mf *m, xmlNodePtr it, const char *id, json_t *item, json_t **ret_res)
{
    char *ref = mf_attr(it, "identifierref");
    char *params = mf_attr(it, "parameters");
    char *vis = mf_attr(it, "isvisible");
    char *title = mf_text(mf_child(it, MF_CP, "title"));
    json_t *res = NULL;
    int r = 0;

    if (ref && *ref && !(res = json_object_get(m->res_by_id, ref))) {
        r = mf_missing_resource(m, it, id, ref);
        goto out;
    }
    const char *href = res ? mf_jstr(res, "href") : NULL;
    if ((r = mf_put_str(m, item, "id", id)) < 0 ||
        (r = mf_put_str(m, item, "title", title && *title ? title : id)) < 0 ||
        (r = mf_put_str(m, item, "resource", res ? ref : NULL)) < 0 ||
        (r = mf_put_str(m, item, "parameters", params && *params ? params : NULL)) < 0 ||
        (r = mf_put(m, item, "visible", json_boolean(!vis || strcasecmp(vis, "false")))) < 0 ||
        (r = mf_put(m, item, "launchable", json_boolean(href && *href))) < 0 ||
        (r = mf_put(m, item, "has_sequencing",
                    json_boolean(mf_child(it, MF_SS, "sequencing") != NULL))) < 0)
        goto out;
    *ret_res = href && *href ? res : NULL;
out:
    free(ref);
    free(params);
    free(vis);
    free(title);
    return r;
}

/* One <item> and its subtree. scos is non-NULL only in the default
 * organization. Recursion is bounded by mf_walk()'s depth check. */
static int mf_item(mf *m, xmlNodePtr it, int depth, json_t *scos, json_t **ret)
{
    char *id = mf_attr(it, "identifier");
    json_t *item = json_object(), *res = NULL;
    char q[100];
    int r;

    if (!item) {
        r = mf_oom(m);
        goto fail;
    }
    if (++m->n_items > CAIRN_MANIFEST_MAX_ITEMS) {
        r = mf_fail(m, it, -EFBIG, "imsmanifest.xml has more than %d items.",
                    CAIRN_MANIFEST_MAX_ITEMS);
        goto fail;
    }
    if (!id || !*id) {
        r = mf_fail(m, it, -EINVAL, "An <item> in imsmanifest.xml has no identifier.");
        goto fail;
    }
    if (json_object_get(m->item_ids, id)) {
        r = mf_fail(m, it, -EINVAL, "Two items share the identifier '%s'.", MF_Q(id, q));
        goto fail;
    }
    if (json_object_set_new(m->item_ids, id, json_true())) {
        r = mf_oom(m);
        goto fail;
    }
    if ((r = mf_item_fields(m, it, id, item, &res)) < 0)
        goto fail;
    if (scos && res &&
        (r = mf_sco(m, it, id, mf_jstr(item, "title"), depth, res,
                    mf_jstr(item, "parameters"), scos)) < 0)
        goto fail;
    if ((r = mf_item_children(m, it, depth, scos, item)) < 0)
        goto fail;
    free(id);
    *ret = item;
    return 0;
fail:
    free(id);
    json_decref(item);
    return r;
}

/* One <organization>; scos non-NULL for the default one. */
static int mf_org(mf *m, xmlNodePtr on, json_t *scos, json_t **ret)
{
    char *id = mf_attr(on, "identifier");
    char *title = mf_text(mf_child(on, MF_CP, "title"));
    json_t *org = json_object(), *items = json_array();
    int r = 0;

    if (!org || !items) {
        r = mf_oom(m);
        goto out;
    }
    if (!id || !*id) {
        r = mf_fail(m, on, -EINVAL, "An <organization> in imsmanifest.xml has no identifier.");
        goto out;
    }
    for (xmlNodePtr c = on->children; c && r == 0; c = c->next) {
        json_t *item = NULL;
        if (mf_is(c, MF_CP, "item") && (r = mf_item(m, c, 0, scos, &item)) == 0)
            r = mf_push(m, items, item);
    }
    if (r < 0 ||
        (r = mf_put_str(m, org, "identifier", id)) < 0 ||
        (r = mf_put_str(m, org, "title", title ? title : "")) < 0 ||
        (r = mf_put(m, org, "items", json_incref(items))) < 0)
        goto out;
    *ret = json_incref(org);
out:
    json_decref(org);
    json_decref(items);
    free(id);
    free(title);
    return r;
}

/* No <organization>: one item per SCO resource with an href, in document
 * order, so that a package that forgot its organization still plays. */
static int mf_synth_items(mf *m, json_t *items, json_t *scos)
{
    size_t i;
    json_t *res;
    int r;

    json_array_foreach(m->resources, i, res) {
        const char *id = mf_jstr(res, "identifier"), *href = mf_jstr(res, "href");
        if (strcmp(mf_jstr(res, "scorm_type"), "sco") || !href)
            continue;
        json_t *item = json_object();
        if (!item)
            return mf_oom(m);
        if ((r = mf_push(m, items, item)) < 0 ||
            (r = mf_put_str(m, item, "id", id)) < 0 ||
            (r = mf_put_str(m, item, "title", id)) < 0 ||
            (r = mf_put_str(m, item, "resource", id)) < 0 ||
            (r = mf_put(m, item, "parameters", json_null())) < 0 ||
            (r = mf_put(m, item, "visible", json_true())) < 0 ||
            (r = mf_put(m, item, "launchable", json_true())) < 0 ||
            (r = mf_put(m, item, "has_sequencing", json_false())) < 0 ||
            (r = mf_put(m, item, "children", json_array())) < 0 ||
            (r = mf_sco(m, NULL, id, id, 0, res, NULL, scos)) < 0)
            return r;
    }
    return 0;
}

static int mf_synthesize(mf *m, json_t *orgs, json_t *scos, const char *title)
{
    json_t *org = json_object(), *items = json_array();
    int r;

    if (!org || !items) {
        r = mf_oom(m);
        goto out;
    }
    if (json_array_size(m->resources) == 0) {
        r = cairn_err_set(m->err, -EINVAL, "imsmanifest.xml has no organizations and no "
                          "resources: there is nothing to play.");
        goto out;
    }
    if ((r = mf_synth_items(m, items, scos)) < 0)
        goto out;
    if (json_array_size(items) == 0) {
        r = cairn_err_set(m->err, -EINVAL, "imsmanifest.xml has no organization, and no SCO "
                          "resource to build one from: there is nothing to play.");
        goto out;
    }
    if ((r = mf_put_str(m, org, "identifier", SYNTH_ORG_ID)) < 0 ||
        (r = mf_put_str(m, org, "title", title ? title : "")) < 0 ||
        (r = mf_put(m, org, "items", json_incref(items))) < 0 ||
        (r = mf_push(m, orgs, json_incref(org))) < 0 ||
        (r = mf_put_str(m, m->out, "default_organization", SYNTH_ORG_ID)) < 0)
        goto out;
    r = mf_put(m, m->out, "organization_synthesized", json_true());
out:
    json_decref(org);
    json_decref(items);
    return r;
}

/* The organization named by default=, else the first (with a warning when
 * default= names none). */
static xmlNodePtr mf_default_org(mf *m, xmlNodePtr orgs)
{
    char *def = mf_attr(orgs, "default");
    xmlNodePtr first = NULL, chosen = NULL;
    for (xmlNodePtr c = orgs->children; c && !chosen; c = c->next) {
        if (!mf_is(c, MF_CP, "organization"))
            continue;
        char *id = mf_attr(c, "identifier");
        if (!first)
            first = c;
        if (def && id && !strcmp(def, id))
            chosen = c;
        free(id);
    }
    if (!chosen && first && def && *def) {
        char msg[300], q[100];
        snprintf(msg, sizeof msg, "The default organization '%s' does not exist; "
                 "the first organization is used.", MF_Q(def, q));
        json_array_append_new(m->warnings, json_string(msg));
    }
    free(def);
    return chosen ? chosen : first;
}

static int mf_organizations(mf *m, json_t *orgs, json_t *scos, const char *mid)
{
    xmlNodePtr on = mf_child(m->root, MF_CP, "organizations");
    xmlNodePtr chosen = on ? mf_default_org(m, on) : NULL;
    int r = 0;

    if (!chosen)
        return mf_synthesize(m, orgs, scos, mid);
    for (xmlNodePtr c = on->children; c && r == 0; c = c->next) {
        json_t *org = NULL;
        if (mf_is(c, MF_CP, "organization") && (r = mf_org(m, c, c == chosen ? scos : NULL, &org)) == 0)
            r = mf_push(m, orgs, org);
    }
    if (r < 0)
        return r;
    m->default_org = chosen;
    char *id = mf_attr(chosen, "identifier");
    r = mf_put_str(m, m->out, "default_organization", id);
    free(id);
    if (r == 0 && json_array_size(scos) == 0)
        r = mf_fail(m, chosen, -EINVAL, "The default organization has no item that launches "
                    "content: there is nothing to play.");
    if (r == 0)
        r = mf_put(m, m->out, "organization_synthesized", json_false());
    return r;
}

/* The course title: the default organization's, else its first item's, else
 * the manifest identifier. */
static const char *mf_course_title(json_t *out, json_t *orgs, const char *mid)
{
    const char *def = json_string_value(json_object_get(out, "default_organization"));
    size_t i;
    json_t *org;
    json_array_foreach(orgs, i, org) {
        if (!def || strcmp(def, mf_jstr(org, "identifier")))
            continue;
        const char *t = mf_jstr(org, "title");
        if (t && *t)
            return t;
        const char *first = mf_jstr(json_array_get(json_object_get(org, "items"), 0), "title");
        if (first && *first)
            return first;
    }
    return mid && *mid ? mid : "Untitled course";
}

/* ---- 6. sequencing: the activity tree ---------------------------------- */

/* SCORM 2004 sequencing (IMS SS with the ADL extensions) of the default
 * organization, as the activity tree the player's sequencing engine takes.
 * Key names follow scorm-again's ActivitySettings; values are the
 * manifest's (docs/SCORM-MANIFEST-JSON.md, "Sequencing"). For every part of
 * <imsss:sequencing>, an item's own element wins over the collection entry
 * its IDRef names. */

static const char *const mf_seq_conditions[] = { "satisfied", "objectiveStatusKnown",
    "objectiveMeasureKnown", "objectiveMeasureGreaterThan", "objectiveMeasureLessThan",
    "completed", "activityProgressKnown", "attempted", "attemptLimitExceeded",
    "timeLimitExceeded", "outsideAvailableTimeRange", "always", NULL };
static const char *const mf_pre_actions[] = { "skip", "disabled", "hiddenFromChoice",
    "stopForwardTraversal", NULL };
static const char *const mf_post_actions[] = { "exitParent", "exitAll", "retry", "retryAll",
    "continue", "previous", NULL };
static const char *const mf_exit_actions[] = { "exit", NULL };
static const char *const mf_rollup_conditions[] = { "satisfied", "objectiveStatusKnown",
    "objectiveMeasureKnown", "completed", "activityProgressKnown", "attempted",
    "attemptLimitExceeded", "timeLimitExceeded", "outsideAvailableTimeRange", NULL };
static const char *const mf_rollup_actions[] = { "satisfied", "notSatisfied", "completed",
    "incomplete", NULL };
static const char *const mf_child_sets[] = { "all", "any", "none", "atLeastCount",
    "atLeastPercent", NULL };
static const char *const mf_all_any[] = { "all", "any", NULL };
static const char *const mf_operators[] = { "noOp", "not", NULL };
static const char *const mf_timings[] = { "never", "once", "onEachNewAttempt", NULL };
static const char *const mf_required[] = { "always", "ifAttempted", "ifNotSkipped",
    "ifNotSuspended", NULL };
static const char *const mf_hide_ui[] = { "previous", "continue", "exit", "exitAll",
    "abandon", "abandonAll", "suspendAll", NULL };

/* An attribute in the given namespace (NULL kind: none), trimmed, malloc()ed. */
static char *mf_attr_in(xmlNodePtr n, enum mf_ns kind, bool none, const char *name)
{
    if (none)
        return mf_attr(n, name);
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (!a->ns || !mf_ns_is(a->ns, kind) || strcmp((const char *)a->name, name))
            continue;
        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
        char *s = mf_trim_dup(v);
        xmlFree(v);
        return s;
    }
    return NULL;
}

static int mf_seq_bad(mf *m, xmlNodePtr at, const char *aid, const char *what, const char *v,
                      const char *want)
{
    char qa[100], qv[60];
    return mf_fail(m, at, -EINVAL, "Activity '%s' has %s '%s'; it must be %s.",
                   MF_Q(aid, qa), what, MF_Q(v, qv), want);
}

/* xs:boolean attribute -> obj[key]; absent: dflt (< 0: nothing). */
static int mf_seq_bool(mf *m, xmlNodePtr n, const char *aid, const char *attr, int dflt,
                       json_t *obj, const char *key)
{
    char *v = mf_attr(n, attr);
    int r = 0;
    if (!v || !*v) {
        if (dflt >= 0)
            r = mf_put(m, obj, key, json_boolean(dflt));
    } else if (!strcmp(v, "true") || !strcmp(v, "1")) {
        r = mf_put(m, obj, key, json_true());
    } else if (!strcmp(v, "false") || !strcmp(v, "0")) {
        r = mf_put(m, obj, key, json_false());
    } else {
        r = mf_seq_bad(m, n, aid, attr, v, "true or false");
    }
    free(v);
    return r;
}

/* Decimal attribute in [lo, hi] -> obj[key]; absent: nothing. */
static int mf_seq_num(mf *m, xmlNodePtr n, const char *aid, const char *attr, double lo,
                      double hi, bool integer, json_t *obj, const char *key)
{
    char *v = mf_attr(n, attr);
    double d;
    int r = 0;
    if (v && *v) {
        if (mf_decimal(v, lo, hi, &d) && (!integer || d == (double)(long long)d)) {
            r = mf_put(m, obj, key, mf_jnum(d));
        } else {
            char want[80];
            snprintf(want, sizeof want, "a%s number from %g to %g", integer ? " whole" : "", lo, hi);
            r = mf_seq_bad(m, n, aid, attr, v, want);
        }
    }
    free(v);
    return r;
}

/* Token attribute from vocab -> obj[key]; absent: dflt (NULL: nothing). */
static int mf_seq_token(mf *m, xmlNodePtr n, const char *aid, const char *attr,
                        const char *const *vocab, const char *dflt, json_t *obj, const char *key)
{
    char *v = mf_attr(n, attr);
    const char *val = dflt;
    int r = 0;
    if (v && *v) {
        val = NULL;
        for (size_t i = 0; vocab[i] && !val; i++)
            if (!strcmp(v, vocab[i]))
                val = vocab[i];
        if (!val) {
            char want[300];
            size_t o = 0;
            want[0] = '\0';
            for (size_t i = 0; vocab[i] && o < sizeof want - 40; i++)
                o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", i ? ", " : "one of ",
                                      vocab[i]);
            r = mf_seq_bad(m, n, aid, attr, v, want);
        }
    }
    if (r == 0 && val)
        r = mf_put_str(m, obj, key, val);
    free(v);
    return r;
}

/* The object obj[key], created when missing. NULL on OOM. */
static json_t *mf_sub(json_t *obj, const char *key)
{
    json_t *sub = json_object_get(obj, key);
    if (!sub && (sub = json_object()) && json_object_set_new(obj, key, sub))
        return NULL;
    return sub;
}

/* One <imsss:ruleConditions> or <imsss:rollupConditions> list. */
static int mf_seq_conditions_list(mf *m, xmlNodePtr conds, const char *aid, bool rollup,
                                  json_t *rule)
{
    json_t *arr = json_array();
    int r = arr ? 0 : mf_oom(m);
    for (xmlNodePtr c = conds ? conds->children : NULL; c && r == 0; c = c->next) {
        if (!mf_is(c, MF_SS, rollup ? "rollupCondition" : "ruleCondition"))
            continue;
        json_t *cond = json_object();
        if (!cond || mf_push(m, arr, cond) < 0) {
            r = -ENOMEM;
            break;
        }
        char *ref = rollup ? NULL : mf_attr(c, "referencedObjective");
        json_t *params = NULL;
        if ((r = mf_seq_token(m, c, aid, "condition", rollup ? mf_rollup_conditions
                              : mf_seq_conditions, NULL, cond, "condition")) == 0 &&
            !json_object_get(cond, "condition"))
            r = mf_fail(m, c, -EINVAL, "A rule condition of activity '%s' has no condition.", aid);
        if (r == 0)
            r = mf_seq_token(m, c, aid, "operator", mf_operators, "noOp", cond, "operator");
        if (r == 0 && ref && *ref)
            r = mf_put_str(m, cond, "referencedObjective", ref);
        if (r == 0 && !rollup && (params = json_object()) &&
            (r = mf_seq_num(m, c, aid, "measureThreshold", -1, 1, false, params, "threshold")) == 0 &&
            json_object_size(params))
            r = mf_put(m, cond, "parameters", json_incref(params));
        json_decref(params);
        free(ref);
    }
    if (r < 0) {
        json_decref(arr);
        return r;
    }
    if (conds && (r = mf_seq_token(m, conds, aid, "conditionCombination", mf_all_any,
                                   rollup ? "any" : "all", rule, "conditionCombination")) < 0) {
        json_decref(arr);
        return r;
    }
    if (!conds && (r = mf_put_str(m, rule, "conditionCombination", rollup ? "any" : "all")) < 0) {
        json_decref(arr);
        return r;
    }
    return mf_put(m, rule, "conditions", arr);
}

/* preConditionRule / exitConditionRule / postConditionRule elements. */
static int mf_seq_rules(mf *m, xmlNodePtr rules, const char *aid, json_t *act)
{
    static const struct { const char *elem, *key; const char *const *actions; } kinds[] = {
        { "preConditionRule", "preConditionRules", mf_pre_actions },
        { "exitConditionRule", "exitConditionRules", mf_exit_actions },
        { "postConditionRule", "postConditionRules", mf_post_actions },
    };
    json_t *out = json_object();
    int r = out ? 0 : mf_oom(m);
    for (size_t k = 0; k < 3 && r == 0; k++) {
        json_t *arr = json_array();
        if (!arr || json_object_set_new(out, kinds[k].key, arr)) {
            r = mf_oom(m);
            break;
        }
        for (xmlNodePtr c = rules->children; c && r == 0; c = c->next) {
            if (!mf_is(c, MF_SS, kinds[k].elem))
                continue;
            json_t *rule = json_object();
            xmlNodePtr action = mf_child(c, MF_SS, "ruleAction");
            if (!rule || mf_push(m, arr, rule) < 0) {
                r = -ENOMEM;
                break;
            }
            if (!action) {
                r = mf_fail(m, c, -EINVAL, "A %s of activity '%s' has no <ruleAction>.",
                            kinds[k].elem, aid);
                break;
            }
            if ((r = mf_seq_token(m, action, aid, "action", kinds[k].actions, NULL, rule,
                                  "action")) == 0 && !json_object_get(rule, "action"))
                r = mf_fail(m, action, -EINVAL, "A <ruleAction> of activity '%s' has no action.", aid);
            if (r == 0)
                r = mf_seq_conditions_list(m, mf_child(c, MF_SS, "ruleConditions"), aid, false, rule);
        }
    }
    if (r == 0)
        return mf_put(m, act, "sequencingRules", out);
    json_decref(out);
    return r;
}

static int mf_seq_rollup(mf *m, xmlNodePtr rr, const char *aid, json_t *act, json_t *ctl)
{
    json_t *rules = json_array();
    int r = rules ? 0 : mf_oom(m);
    if (r == 0 &&
        ((r = mf_seq_bool(m, rr, aid, "rollupObjectiveSatisfied", -1, ctl, "rollupObjectiveSatisfied")) < 0 ||
         (r = mf_seq_bool(m, rr, aid, "rollupProgressCompletion", -1, ctl, "rollupProgressCompletion")) < 0 ||
         (r = mf_seq_num(m, rr, aid, "objectiveMeasureWeight", 0, 1, false, ctl, "objectiveMeasureWeight")) < 0))
        goto out;
    for (xmlNodePtr c = rr->children; c && r == 0; c = c->next) {
        if (!mf_is(c, MF_SS, "rollupRule"))
            continue;
        json_t *rule = json_object();
        xmlNodePtr action = mf_child(c, MF_SS, "rollupAction");
        if (!rule || mf_push(m, rules, rule) < 0) {
            r = -ENOMEM;
            break;
        }
        if (!action) {
            r = mf_fail(m, c, -EINVAL, "A <rollupRule> of activity '%s' has no <rollupAction>.", aid);
            break;
        }
        if ((r = mf_seq_token(m, action, aid, "action", mf_rollup_actions, NULL, rule, "action")) < 0)
            break;
        if (!json_object_get(rule, "action")) {
            r = mf_fail(m, action, -EINVAL, "A <rollupAction> of activity '%s' has no action.", aid);
            break;
        }
        if ((r = mf_seq_token(m, c, aid, "childActivitySet", mf_child_sets, "all", rule,
                              "consideration")) < 0 ||
            (r = mf_seq_num(m, c, aid, "minimumCount", 0, 1e9, true, rule, "minimumCount")) < 0 ||
            (r = mf_seq_num(m, c, aid, "minimumPercent", 0, 1, false, rule, "minimumPercent")) < 0)
            break;
        r = mf_seq_conditions_list(m, mf_child(c, MF_SS, "rollupConditions"), aid, true, rule);
    }
out:
    if (r == 0) {
        json_t *wrap = json_pack("{so}", "rules", rules);
        return wrap ? mf_put(m, act, "rollupRules", wrap) : mf_oom(m);
    }
    json_decref(rules);
    return r;
}

/* The mapInfo entry for target in list, created (reads off, writes off)
 * when missing; for adlseq:mapInfo that has no imsss:mapInfo twin. */
static json_t *mf_map_for(json_t *list, const char *target)
{
    size_t i;
    json_t *mi;
    json_array_foreach(list, i, mi)
        if (!strcmp(mf_jstr(mi, "targetObjectiveID"), target))
            return mi;
    mi = json_pack("{ss sb sb sb sb}", "targetObjectiveID", target, "readSatisfiedStatus", 0,
                   "readNormalizedMeasure", 0, "writeSatisfiedStatus", 0,
                   "writeNormalizedMeasure", 0);
    if (mi && json_array_append_new(list, mi))
        return NULL;
    return mi;
}

static int mf_seq_mapinfo(mf *m, xmlNodePtr obj, const char *aid, enum mf_ns kind, json_t *list)
{
    static const char *const adl_flags[] = { "readRawScore", "readMinScore", "readMaxScore",
        "readCompletionStatus", "readProgressMeasure", "writeRawScore", "writeMinScore",
        "writeMaxScore", "writeCompletionStatus", "writeProgressMeasure" };
    int r = 0;
    for (xmlNodePtr c = obj->children; c && r == 0; c = c->next) {
        if (!mf_is(c, kind, "mapInfo"))
            continue;
        char *target = mf_attr(c, "targetObjectiveID");
        if (!target || !*target) {
            free(target);
            return mf_fail(m, c, -EINVAL, "A <mapInfo> of activity '%s' has no targetObjectiveID.", aid);
        }
        json_t *mi = mf_map_for(list, target);
        free(target);
        if (!mi)
            return mf_oom(m);
        if (kind == MF_SS) {
            if ((r = mf_seq_bool(m, c, aid, "readSatisfiedStatus", 1, mi, "readSatisfiedStatus")) < 0 ||
                (r = mf_seq_bool(m, c, aid, "readNormalizedMeasure", 1, mi, "readNormalizedMeasure")) < 0 ||
                (r = mf_seq_bool(m, c, aid, "writeSatisfiedStatus", 0, mi, "writeSatisfiedStatus")) < 0)
                break;
            r = mf_seq_bool(m, c, aid, "writeNormalizedMeasure", 0, mi, "writeNormalizedMeasure");
        } else {
            for (size_t i = 0; i < sizeof adl_flags / sizeof adl_flags[0] && r == 0; i++)
                r = mf_seq_bool(m, c, aid, adl_flags[i], adl_flags[i][0] == 'r', mi, adl_flags[i]);
        }
    }
    return r;
}

/* One imsss primaryObjective / objective. */
static int mf_seq_objective(mf *m, xmlNodePtr o, const char *aid, bool primary, json_t **ret)
{
    char *id = mf_attr(o, "objectiveID");
    xmlNodePtr mnm = mf_child(o, MF_SS, "minNormalizedMeasure");
    char *mtext = mf_text(mnm);
    json_t *obj = json_object(), *maps = json_array();
    int r = obj && maps ? 0 : mf_oom(m);
    char qa[100];

    if (r == 0 && !primary && (!id || !*id))
        r = mf_fail(m, o, -EINVAL, "An <objective> of activity '%s' has no objectiveID.",
                    MF_Q(aid, qa));
    if (r == 0 &&
        ((r = mf_put_str(m, obj, "objectiveID", id && *id ? id : aid)) < 0 ||
         (r = mf_put(m, obj, "isPrimary", json_boolean(primary))) < 0 ||
         (r = mf_seq_bool(m, o, aid, "satisfiedByMeasure", 0, obj, "satisfiedByMeasure")) < 0))
        goto out;
    if (r == 0) {
        double v = 1.0;
        if (mtext && *mtext && !mf_decimal(mtext, -1, 1, &v))
            r = mf_seq_bad(m, mnm, aid, "minNormalizedMeasure", mtext, "a number from -1 to 1");
        else
            r = mf_put(m, obj, "minNormalizedMeasure", mf_jnum(v));
    }
    if (r == 0 && (r = mf_seq_mapinfo(m, o, aid, MF_SS, maps)) == 0)
        r = mf_put(m, obj, "mapInfo", json_incref(maps));
    if (r == 0) {
        *ret = obj;
        obj = NULL;
    }
out:
    json_decref(obj);
    json_decref(maps);
    free(id);
    free(mtext);
    return r;
}

/* imsss:objectives, then adlseq:objectives merged into them by objectiveID. */
static int mf_seq_objectives(mf *m, xmlNodePtr item, const char *aid, json_t *act)
{
    xmlNodePtr os = mf_seq_part(m, item, "objectives");
    xmlNodePtr adl = mf_seq_part_ns(m, item, MF_ADLSEQ, "objectives");
    json_t *list = json_array(), *prim = NULL;
    int r = list ? 0 : mf_oom(m);

    for (xmlNodePtr c = os ? os->children : NULL; c && r == 0; c = c->next) {
        bool primary = mf_is(c, MF_SS, "primaryObjective");
        if (!primary && !mf_is(c, MF_SS, "objective"))
            continue;
        json_t *o = NULL;
        if ((r = mf_seq_objective(m, c, aid, primary, &o)) == 0) {
            if (primary) {
                json_decref(prim);
                prim = o;
            } else {
                r = mf_push(m, list, o);
            }
        }
    }
    for (xmlNodePtr c = adl ? adl->children : NULL; c && r == 0; c = c->next) {
        if (!mf_is(c, MF_ADLSEQ, "objective"))
            continue;
        char *id = mf_attr(c, "objectiveID");
        json_t *hit = prim && id && !strcmp(mf_jstr(prim, "objectiveID"), id) ? prim : NULL, *o;
        size_t i;
        json_array_foreach(list, i, o)
            if (id && !strcmp(mf_jstr(o, "objectiveID"), id))
                hit = o;
        if (!hit) {
            char qa[100], qo[100];
            r = mf_fail(m, c, -EINVAL, "adlseq:objective '%s' of activity '%s' names no "
                        "imsss objective of that activity.", MF_Q(id ? id : "", qo),
                        MF_Q(aid, qa));
        } else {
            r = mf_seq_mapinfo(m, c, aid, MF_ADLSEQ, json_object_get(hit, "mapInfo"));
        }
        free(id);
    }
    if (r == 0 && prim)
        r = mf_put(m, act, "primaryObjective", json_incref(prim));
    if (r == 0 && json_array_size(list))
        r = mf_put(m, act, "objectives", json_incref(list));
    json_decref(prim);
    json_decref(list);
    return r;
}

static int mf_seq_controls(mf *m, xmlNodePtr item, const char *aid, json_t *act, json_t *ctl)
{
    xmlNodePtr n;
    int r = 0;
    if ((n = mf_seq_part(m, item, "controlMode"))) {
        static const char *const flags[] = { "choice", "choiceExit", "flow", "forwardOnly",
            "useCurrentAttemptObjectiveInfo", "useCurrentAttemptProgressInfo" };
        for (size_t i = 0; i < sizeof flags / sizeof flags[0] && r == 0; i++)
            r = mf_seq_bool(m, n, aid, flags[i], -1, ctl, flags[i]);
    }
    if (r == 0 && (n = mf_seq_part(m, item, "limitConditions"))) {
        char *d = mf_attr(n, "attemptAbsoluteDurationLimit");
        if ((r = mf_seq_num(m, n, aid, "attemptLimit", 0, 1e9, true, act, "attemptLimit")) == 0 &&
            d && *d)
            r = mf_put_str(m, act, "attemptAbsoluteDurationLimit", d);
        free(d);
    }
    if (r == 0 && (n = mf_seq_part(m, item, "randomizationControls")) &&
        ((r = mf_seq_token(m, n, aid, "randomizationTiming", mf_timings, "never", ctl,
                           "randomizationTiming")) < 0 ||
         (r = mf_seq_num(m, n, aid, "selectCount", 0, 1e9, true, ctl, "selectCount")) < 0 ||
         (r = mf_seq_bool(m, n, aid, "reorderChildren", 0, ctl, "reorderChildren")) < 0 ||
         (r = mf_seq_token(m, n, aid, "selectionTiming", mf_timings, "never", ctl,
                           "selectionTiming")) < 0))
        return r;
    if (r == 0 && (n = mf_seq_part(m, item, "deliveryControls"))) {
        json_t *dc = mf_sub(act, "deliveryControls");
        if (!dc)
            return mf_oom(m);
        if ((r = mf_seq_bool(m, n, aid, "tracked", 1, dc, "tracked")) < 0 ||
            (r = mf_seq_bool(m, n, aid, "completionSetByContent", 0, dc, "completionSetByContent")) < 0)
            return r;
        r = mf_seq_bool(m, n, aid, "objectiveSetByContent", 0, dc, "objectiveSetByContent");
    }
    if (r == 0 && (n = mf_seq_part_ns(m, item, MF_ADLSEQ, "constrainedChoiceConsiderations")) &&
        (r = mf_seq_bool(m, n, aid, "preventActivation", -1, ctl, "preventActivation")) == 0)
        r = mf_seq_bool(m, n, aid, "constrainChoice", -1, ctl, "constrainChoice");
    if (r == 0 && (n = mf_seq_part_ns(m, item, MF_ADLSEQ, "rollupConsiderations"))) {
        static const char *const req[] = { "requiredForSatisfied", "requiredForNotSatisfied",
            "requiredForCompleted", "requiredForIncomplete" };
        json_t *rc = mf_sub(act, "rollupConsiderations");
        if (!rc)
            return mf_oom(m);
        for (size_t i = 0; i < 4 && r == 0; i++)
            r = mf_seq_token(m, n, aid, req[i], mf_required, "always", rc, req[i]);
        if (r == 0)
            r = mf_seq_bool(m, n, aid, "measureSatisfactionIfActive", 1, rc,
                            "measureSatisfactionIfActive");
    }
    return r;
}

/* adlnav:presentation hideLMSUI, adlcp:data maps, 4th edition
 * completionThreshold: children of the item itself, not of its sequencing. */
static int mf_seq_item_extras(mf *m, xmlNodePtr item, const char *aid, json_t *act)
{
    xmlNodePtr ni = mf_child(mf_child(item, MF_ADLNAV, "presentation"), MF_ADLNAV,
                             "navigationInterface");
    json_t *hide = json_array(), *maps = json_array();
    int r = hide && maps ? 0 : mf_oom(m);

    for (xmlNodePtr c = ni ? ni->children : NULL; c && r == 0; c = c->next) {
        if (!mf_is(c, MF_ADLNAV, "hideLMSUI"))
            continue;
        char *t = mf_text(c);
        const char *hit = NULL;
        for (size_t i = 0; t && mf_hide_ui[i] && !hit; i++)
            if (!strcmp(t, mf_hide_ui[i]))
                hit = mf_hide_ui[i];
        if (!hit)
            r = mf_seq_bad(m, c, aid, "hideLMSUI", t ? t : "", "previous, continue, exit, "
                           "exitAll, abandon, abandonAll or suspendAll");
        else
            r = mf_push(m, hide, json_string(hit));
        free(t);
    }
    xmlNodePtr data = mf_child(item, MF_ADLCP, "data");
    for (xmlNodePtr c = data ? data->children : NULL; c && r == 0; c = c->next) {
        if (!mf_is(c, MF_ADLCP, "map"))
            continue;
        char *target = mf_attr(c, "targetID");
        json_t *map = json_object();
        if (!map || mf_push(m, maps, map) < 0)
            r = -ENOMEM;
        else if (!target || !*target)
            r = mf_fail(m, c, -EINVAL, "An adlcp:map of activity '%s' has no targetID.", aid);
        else if ((r = mf_put_str(m, map, "targetID", target)) == 0 &&
                 (r = mf_seq_bool(m, c, aid, "readSharedData", 1, map, "readSharedData")) == 0)
            r = mf_seq_bool(m, c, aid, "writeSharedData", 0, map, "writeSharedData");
        free(target);
    }
    xmlNodePtr ct = mf_child(item, MF_ADLCP, "completionThreshold");
    char *by = ct ? mf_attr(ct, "completedByMeasure") : NULL;
    if (r == 0 && by) {
        json_t *cts = mf_sub(act, "completionThreshold");
        if (!cts)
            r = mf_oom(m);
        else if ((r = mf_seq_bool(m, ct, aid, "completedByMeasure", 0, cts, "completedByMeasure")) == 0 &&
                 (r = mf_seq_num(m, ct, aid, "minProgressMeasure", 0, 1, false, cts,
                                 "minProgressMeasure")) == 0)
            r = mf_seq_num(m, ct, aid, "progressWeight", 0, 1, false, cts, "progressWeight");
    }
    free(by);
    if (r == 0 && json_array_size(hide))
        r = mf_put(m, act, "hideLmsUi", json_incref(hide));
    if (r == 0 && json_array_size(maps))
        r = mf_put(m, act, "sharedDataMaps", json_incref(maps));
    json_decref(hide);
    json_decref(maps);
    return r;
}

/* Whether the item or organization carries anything sequencing reads. */
static bool mf_seq_present(xmlNodePtr n)
{
    return mf_child(n, MF_SS, "sequencing") || mf_child(n, MF_ADLNAV, "presentation") ||
           mf_child(n, MF_ADLCP, "data");
}

static int mf_activity(mf *m, xmlNodePtr n, json_t **ret);

/* One activity (an <item>, or the <organization> as the root). */
static int mf_activity_fill(mf *m, xmlNodePtr n, const char *aid, json_t *act)
{
    char *title = mf_text(mf_child(n, MF_CP, "title"));
    char *vis = mf_attr(n, "isvisible");
    json_t *ctl = json_object(), *children = json_array();
    int r = ctl && children ? 0 : mf_oom(m);
    xmlNodePtr rules, rollup;

    m->seq_seen |= mf_seq_present(n);
    if (r == 0 &&
        ((r = mf_put_str(m, act, "id", aid)) < 0 ||
         (r = mf_put_str(m, act, "title", title && *title ? title : aid)) < 0 ||
         (r = mf_put(m, act, "isVisible", json_boolean(!vis || strcasecmp(vis, "false")))) < 0 ||
         (r = mf_seq_controls(m, n, aid, act, ctl)) < 0 ||
         (r = mf_seq_objectives(m, n, aid, act)) < 0 ||
         (r = mf_seq_item_extras(m, n, aid, act)) < 0))
        goto out;
    if ((rules = mf_seq_part(m, n, "sequencingRules")) && (r = mf_seq_rules(m, rules, aid, act)) < 0)
        goto out;
    if ((rollup = mf_seq_part(m, n, "rollupRules")) &&
        (r = mf_seq_rollup(m, rollup, aid, act, ctl)) < 0)
        goto out;
    if (json_object_size(ctl) && (r = mf_put(m, act, "sequencingControls", json_incref(ctl))) < 0)
        goto out;
    for (xmlNodePtr c = n->children; c && r == 0; c = c->next) {
        json_t *child = NULL;
        if (mf_is(c, MF_CP, "item") && (r = mf_activity(m, c, &child)) == 0)
            r = mf_push(m, children, child);
    }
    if (r == 0 && json_array_size(children))
        r = mf_put(m, act, "children", json_incref(children));
out:
    json_decref(ctl);
    json_decref(children);
    free(title);
    free(vis);
    return r;
}

/* Recursion is bounded by mf_walk()'s depth check. */
static int mf_activity(mf *m, xmlNodePtr n, json_t **ret)
{
    char *id = mf_attr(n, "identifier");
    json_t *act = json_object();
    int r = act && id ? mf_activity_fill(m, n, id, act) : mf_oom(m);
    free(id);
    if (r < 0) {
        json_decref(act);
        return r;
    }
    *ret = act;
    return 0;
}

/* "sequencing": the default organization's activity tree, or null for 1.2
 * and for 2004 packages that carry no sequencing information at all (they
 * play with the free choice of a plain multi-SCO package). */
static int mf_sequencing(mf *m)
{
    json_t *tree = NULL, *out;
    int r;
    if (m->version != 2004 || !m->default_org)
        return mf_put(m, m->out, "sequencing", json_null());
    if ((r = mf_activity(m, m->default_org, &tree)) < 0)
        return r;
    if (!m->seq_seen) {
        json_decref(tree);
        return mf_put(m, m->out, "sequencing", json_null());
    }
    char *ogts = mf_attr_in(m->default_org, MF_ADLSEQ, false, "objectivesGlobalToSystem");
    char *sdgts = mf_attr_in(m->default_org, MF_ADLCP, false, "sharedDataGlobalToSystem");
    out = json_pack("{so sb sb}", "activity_tree", tree,
                    "objectives_global_to_system", !ogts || strcmp(ogts, "false"),
                    "shared_data_global_to_system", !sdgts || strcmp(sdgts, "false"));
    free(ogts);
    free(sdgts);
    return out ? mf_put(m, m->out, "sequencing", out) : mf_oom(m);
}

/* ---- putting it together ----------------------------------------------- */

static int mf_build(mf *m)
{
    char *mid = mf_attr(m->root, "identifier");
    json_t *orgs = json_array(), *scos = json_array();
    int r;

    if (!orgs || !scos) {
        r = mf_oom(m);
        goto out;
    }
    if ((r = mf_resources(m)) < 0 ||
        (r = mf_organizations(m, orgs, scos, mid)) < 0 ||
        (r = mf_put_str(m, m->out, "identifier", mid ? mid : "")) < 0 ||
        (r = mf_put_str(m, m->out, "title", mf_course_title(m->out, orgs, mid))) < 0 ||
        (r = mf_put_str(m, m->out, "scorm_version", m->version == 12 ? "1.2" : "2004")) < 0 ||
        (r = mf_put_str(m, m->out, "edition", m->edition)) < 0 ||
        (r = mf_put(m, m->out, "organizations", json_incref(orgs))) < 0)
        goto out;
    if ((r = mf_put(m, m->out, "scos", json_incref(scos))) < 0)
        goto out;
    r = mf_sequencing(m);
out:
    json_decref(orgs);
    json_decref(scos);
    free(mid);
    return r;
}

static int mf_prepare(mf *m)
{
    m->out = json_object();
    m->resources = json_array();
    m->warnings = json_array();
    m->res_by_id = json_object();
    m->item_ids = json_object();
    if (!m->out || !m->resources || !m->warnings || !m->res_by_id || !m->item_ids)
        return mf_oom(m);
    /* Fix the key order for people reading the JSON; values come later. */
    static const char *const keys[] = { "identifier", "title", "scorm_version", "edition",
        "schemaversion", "default_organization", "organization_synthesized",
        "organizations", "resources", "scos", "sequencing", "warnings" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_set_new(m->out, keys[i], json_null()))
            return mf_oom(m);
    if (json_object_set(m->out, "resources", m->resources) ||
        json_object_set(m->out, "warnings", m->warnings))
        return mf_oom(m);
    return 0;
}

static int mf_check_root(mf *m)
{
    char q[60];
    m->root = xmlDocGetRootElement(m->doc);
    if (!mf_is(m->root, MF_CP, "manifest"))
        return mf_fail(m, m->root, -EINVAL, "The root element of imsmanifest.xml is <%s>, "
                       "not an IMS content packaging <manifest>.",
                       MF_Q(m->root ? (const char *)m->root->name : "", q));
    m->seq_collection = mf_child(m->root, MF_SS, "sequencingCollection");
    return 0;
}

int cairn_manifest_parse(const char *buf, size_t len, json_t **ret, cairn_err *err)
{
    mf m = { .err = err };
    int r;

    if ((r = mf_read(&m, buf, len)) < 0 ||
        (r = mf_check_root(&m)) < 0 ||
        (r = mf_walk(&m)) < 0 ||
        (r = mf_prepare(&m)) < 0 ||
        (r = mf_version(&m)) < 0 ||
        (r = mf_build(&m)) < 0)
        goto out;
    *ret = json_incref(m.out);
out:
    json_decref(m.out);
    json_decref(m.resources);
    json_decref(m.warnings);
    json_decref(m.res_by_id);
    json_decref(m.item_ids);
    xmlFreeDoc(m.doc);
    return r;
}
