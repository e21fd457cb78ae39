/* applets.h: the entry points of all applets, declared from applets.def. */
#ifndef TAILPOD_APPLETS_H
#define TAILPOD_APPLETS_H

#define APPLET(name, ident) int ident##_main(int argc, char **argv);
#include "applets.def"
#undef APPLET

#endif
