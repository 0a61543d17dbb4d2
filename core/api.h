/* api.h: the request handlers, one group per file, listed in routes.c. */
#ifndef CAIRN_API_H
#define CAIRN_API_H

#include "http.h"

/* api_accounts.c */
void api_session(cairn_req *r);
void api_boroughs(cairn_req *r);
void api_register(cairn_req *r);
void api_login(cairn_req *r);
void api_logout(cairn_req *r);

/* api_learning.c */
void api_training(cairn_req *r);
void api_launch(cairn_req *r);
void api_commit(cairn_req *r);

/* api_packages.c */
void api_packages_list(cairn_req *r);
void api_packages_upload(cairn_req *r);
void api_officer_learners(cairn_req *r);

/* files.c */
void files_static(cairn_req *r);
void files_content(cairn_req *r);
void files_health(cairn_req *r);

#endif
