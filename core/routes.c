/* routes.c: every URL Cairn answers, in one table (docs/API.md).
 * First match wins; server.c enforces access, CSRF and body rules. */
#include "api.h"

static const route routes[] = {
    /* methods           pattern                   handler             access          body */
    { M_GET,             "/api/session",           api_session,        ACCESS_PUBLIC,  BODY_NONE, false },
    { M_GET,             "/api/boroughs",          api_boroughs,       ACCESS_PUBLIC,  BODY_NONE, false },
    { M_POST,            "/api/register",          api_register,       ACCESS_PUBLIC,  BODY_JSON, false },
    { M_POST,            "/api/login",             api_login,          ACCESS_PUBLIC,  BODY_JSON, false },
    { M_POST,            "/api/logout",            api_logout,         ACCESS_USER,    BODY_NONE, false },
    { M_GET,             "/api/me/training",       api_training,       ACCESS_USER,    BODY_NONE, false },
    { M_GET,             "/api/me/contacts",       api_contacts,       ACCESS_USER,    BODY_NONE, false },
    { M_POST,            "/api/packages/#/launch", api_launch,         ACCESS_USER,    BODY_JSON, false },
    { M_POST,            "/api/attempts/#/commit", api_commit,         ACCESS_USER,    BODY_COMMIT, true },
    { M_GET,             "/api/packages",          api_packages_list,  ACCESS_OFFICER, BODY_NONE, false },
    { M_POST,            "/api/packages",          api_packages_upload, ACCESS_OFFICER, BODY_UPLOAD, false },
    { M_GET,             "/api/officer/learners",  api_officer_learners, ACCESS_OFFICER, BODY_NONE, false },
    { M_GET,             "/api/me/record",         api_me_record,      ACCESS_USER,    BODY_NONE, false },
    { M_GET,             "/api/sessions",          api_sessions_list,  ACCESS_USER,    BODY_NONE, false },
    { M_POST,            "/api/sessions/#/book",   api_session_book,   ACCESS_USER,    BODY_JSON, false },
    { M_POST,            "/api/bookings/#/cancel", api_booking_cancel, ACCESS_USER,    BODY_JSON, false },
    { M_GET,             "/api/bookings/#/invite.ics", api_booking_invite, ACCESS_USER, BODY_NONE, false },
    { M_GET,             "/api/courses",           api_courses_list,   ACCESS_OFFICER, BODY_NONE, false },
    { M_POST,            "/api/courses",           api_courses_create, ACCESS_OFFICER, BODY_JSON, false },
    { M_POST,            "/api/courses/#/sessions", api_sessions_create, ACCESS_OFFICER, BODY_JSON, false },
    { M_GET,             "/api/officer/sessions",  api_officer_sessions, ACCESS_OFFICER, BODY_NONE, false },
    { M_PUT,             "/api/sessions/#",        api_session_update, ACCESS_OFFICER, BODY_JSON, false },
    { M_POST,            "/api/sessions/#/cancel", api_session_cancel, ACCESS_OFFICER, BODY_JSON, false },
    { M_GET,             "/api/sessions/#/bookings", api_session_bookings, ACCESS_OFFICER, BODY_NONE, false },
    { M_POST,            "/api/sessions/#/attendance", api_session_attendance, ACCESS_OFFICER, BODY_JSON, false },
    { M_POST,            "/api/bookings/#/decision", api_booking_decide, ACCESS_OFFICER, BODY_JSON, false },
    { M_GET,             "/api/admin/plugins",     api_admin_plugins,  ACCESS_ADMIN,   BODY_NONE, false },
    { M_POST,            "/api/admin/plugins/reload", api_admin_plugins_reload, ACCESS_ADMIN, BODY_NONE, false },
    { M_GET | M_HEAD,    "/healthz",               files_health,       ACCESS_PUBLIC,  BODY_NONE, false },
    { M_GET | M_HEAD,    "/content/#/#/*",         files_content,      ACCESS_USER,    BODY_NONE, false },
    { M_GET | M_HEAD,    "/*",                     files_static,       ACCESS_PUBLIC,  BODY_NONE, false },
};

const route *routes_table(size_t *ret_n)
{
    *ret_n = sizeof routes / sizeof routes[0];
    return routes;
}
