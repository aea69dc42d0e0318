#ifndef TESSERA_LOOP_H
#define TESSERA_LOOP_H
#include <tessera/types.h>
#endif
