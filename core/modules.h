/* modules.h: the modules Cairn ships (modules-content/), imported at start. */
#ifndef CAIRN_MODULES_H
#define CAIRN_MODULES_H

/* Imports each *.zip in modules_dir (the build's modules-content/ by
 * default) unless this exact build of it was imported before: a zip whose
 * manifest identifier is unknown is imported; one whose imsmanifest.xml
 * matches a version already imported is skipped, so restarts add nothing;
 * any other becomes the package's new version. The manifest's version
 * attribute carries a hash of the module's sources, so every changed build
 * differs. A missing folder or a bad zip is logged, never fatal. Returns
 * the number of packages imported. */
int modules_import(const char *data_dir, const char *modules_dir);

#endif
