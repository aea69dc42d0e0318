/*
 * core/img/img-bench.c - `tessera-img bench`: being written this session;
 * until then it says so.
 */
#include "img.h"

int img_cmd_bench(int argc, char **argv)
{
    (void)argc;
    img_error("'%s' is not built yet", argv[0]);
    return 1;
}
