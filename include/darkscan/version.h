/*
 * version.h - the library's version.
 */
#ifndef DARKSCAN_VERSION_H
#define DARKSCAN_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* ds_version - "0.1.0" or "0.1.0+g<commit>" when built from a git checkout. Static string. */
const char *ds_version(void);

#ifdef __cplusplus
}
#endif
#endif
