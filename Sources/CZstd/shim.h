#ifndef CIVITAS_CZSTD_SHIM_H
#define CIVITAS_CZSTD_SHIM_H
#include <zstd.h>
#endif
