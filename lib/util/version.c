/*
 * version.c - the version string baked in at build time (see CMakeLists.txt).
 */
#include "darkscan/version.h"

const char *ds_version(void)
{
    return DS_VERSION_STRING;
}
