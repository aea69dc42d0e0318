#ifndef TESSERA_MEMORY_H
#define TESSERA_MEMORY_H
#include <tessera/types.h>
#endif
