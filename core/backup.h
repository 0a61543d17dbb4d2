/* backup.h: `cairn backup`, `cairn restore` and `cairn db check`.
 *
 * A backup is a folder:
 *
 *   DEST/cairn.db                     one consistent snapshot of the database
 *                                     (SQLite online backup; the server keeps running)
 *   DEST/packages/<id>/<version>/...  the files of every package version that
 *                                     snapshot records
 *   DEST/manifest.json                {"format": "cairn-backup", "format_version": 1,
 *                                      "cairn_version", "schema_version", "created_at",
 *                                      "files": [{"path", "bytes", "sha256"}]}
 *
 * It is built in DEST.partial and renamed to DEST when complete, so a DEST
 * that exists is a whole backup. Restore checks every checksum and the
 * database's integrity before anything is put in place, then migrates an
 * older schema to this build's. */
#ifndef CAIRN_BACKUP_H
#define CAIRN_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

/* Backs up data_dir into dest (which must not exist). On failure errbuf
 * says why and nothing is left at dest. */
int backup_create(const char *data_dir, const char *dest, char *errbuf, size_t errlen);
/* Restores the backup at src into data_dir. data_dir must be absent or
 * empty, unless force: then an existing folder is moved aside to
 * data_dir.replaced-YYYYMMDDTHHMMSSZ (never deleted). Leaves the database
 * migrated to this build's schema. *ret_from_schema: the backup's. */
int backup_restore(const char *src, const char *data_dir, bool force, int *ret_from_schema,
                   char *errbuf, size_t errlen);

/* The commands (argv[0] is the command name); data_dir is the default
 * data folder, --data overrides it. */
int backup_main(int argc, char **argv, const char *data_dir);
int restore_main(int argc, char **argv, const char *data_dir);
int db_main(int argc, char **argv, const char *data_dir);

#endif
