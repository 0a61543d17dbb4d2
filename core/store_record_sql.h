/* store_record_sql.h: the SQL of the one learner record, shared by the
 * store files that read it (store_record.c for one learner, store_lists.c
 * for an officer's list of every learner's entries), so that what counts
 * as an entry is written once. Included only by store*.c. */
#ifndef CAIRN_STORE_RECORD_SQL_H
#define CAIRN_STORE_RECORD_SQL_H

/* The item_ref of a piece of evidence: for e-learning evidence that names a
 * module on this server (by its manifest identifier or its title), the
 * module's identifier, as its own learner record would have; otherwise
 * "evidence-ID". */
#define EVIDENCE_REF(E) \
    "coalesce(CASE WHEN " E ".kind = 'elearning' THEN (SELECT p.identifier FROM packages p" \
    " WHERE p.identifier = " E ".title COLLATE NOCASE OR p.id IN (SELECT v.package_id" \
    " FROM package_versions v WHERE v.title = " E ".title COLLATE NOCASE) ORDER BY p.id LIMIT 1)" \
    " END, 'evidence-' || " E ".id)"

/* The certificate of an attendance: the one whose source_id is the
 * learner's first attendance row of the session. */
#define ATTENDANCE_CERT(SESSION, USER) \
    "(SELECT code FROM certificates WHERE source = 'attendance' AND revoked_at IS NULL" \
    " AND source_id = (SELECT MIN(x.id) FROM attendance x WHERE x.session_id = " SESSION \
    " AND x.user_id = " USER "))"

/* Every record entry of the learners whose id is IN USERS (SQL text: "(?1)"
 * or "(SELECT ...)"): e-learning records, one entry per marked attendance
 * date, and evidence, UNION ALL, unordered. Columns, named by the first
 * branch:
 *   0 date, 1 kind ('elearning'|'face_to_face'|'evidence'), 2 title, 3 grp,
 *   4 level (0: none), 5 hours, 6 status, 7 flagged, 8 item_ref,
 *   9 session_id, 10 score, 11 entry_id (id in its own table), 12 package_id,
 *   13 date_id, 14 cert_code (live certificate), 15 evidence_kind,
 *   16 provider, 17 note, 18 source, 19 entered_by, 20 entered_by_name,
 *   21 created_at (evidence), 22 user_id
 * RECORD_ENTRIES_KEYS is the same rows with the columns that cost a lookup
 * per row (8 item_ref of evidence, 12 package_id, 14 cert_code,
 * 20 entered_by_name) left NULL: for counting, filtering and sorting many
 * entries before reading those columns for one page. */
#define RECORD_IF_1(E) E
#define RECORD_IF_0(E) ""
#define RECORD_NULL_1(E) E
#define RECORD_NULL_0(E) "NULL"
#define RECORD_ENTRIES_AS(USERS, F) \
    "SELECT lr.completed_at AS date, 'elearning' AS kind, lr.title AS title, NULL AS grp," \
    "  0 AS level, ROUND(lr.time_spent_s / 3600.0, 2) AS hours, lr.status AS status," \
    "  0 AS flagged, lr.item_ref AS item_ref, NULL AS session_id, lr.score AS score," \
    "  lr.id AS entry_id, " RECORD_NULL_##F("p.id") " AS package_id, NULL AS date_id," \
    "  " RECORD_NULL_##F("c.code") " AS cert_code," \
    "  NULL AS evidence_kind, NULL AS provider, NULL AS note, NULL AS source," \
    "  NULL AS entered_by, NULL AS entered_by_name, NULL AS created_at, lr.user_id AS user_id" \
    " FROM learner_records lr" \
    RECORD_IF_##F(" LEFT JOIN packages p ON p.identifier = lr.item_ref" \
    " LEFT JOIN certificates c ON c.source = 'elearning' AND c.source_id = lr.id" \
    "  AND c.revoked_at IS NULL") \
    " WHERE lr.user_id IN " USERS \
    " UNION ALL" \
    " SELECT d.starts_at, 'face_to_face', co.title, co.grp, co.level, a.hours, a.status," \
    "  a.flagged, 'course-' || co.id, a.session_id, NULL, a.id, NULL, a.date_id," \
    "  " RECORD_NULL_##F(ATTENDANCE_CERT("a.session_id", "a.user_id")) "," \
    "  NULL, NULL, NULL, NULL, NULL, NULL, NULL, a.user_id" \
    " FROM attendance a JOIN session_dates d ON d.id = a.date_id" \
    " JOIN course_sessions s ON s.id = a.session_id JOIN courses co ON co.id = s.course_id" \
    " WHERE a.user_id IN " USERS \
    " UNION ALL" \
    " SELECT e.completed_on, 'evidence', e.title, e.grp, e.level, e.hours, 'completed', 0," \
    "  " RECORD_NULL_##F(EVIDENCE_REF("e")) ", NULL, NULL, e.id, NULL, NULL, NULL," \
    "  e.kind, e.provider, e.note, e.source, e.entered_by, " RECORD_NULL_##F("eb.name") "," \
    "  e.created_at, e.user_id" \
    " FROM evidence e" RECORD_IF_##F(" LEFT JOIN users eb ON eb.id = e.entered_by") \
    " WHERE e.user_id IN " USERS
#define RECORD_ENTRIES(USERS) RECORD_ENTRIES_AS(USERS, 1)
#define RECORD_ENTRIES_KEYS(USERS) RECORD_ENTRIES_AS(USERS, 0)

#endif
