/*
 * core/img/img-compare.c - `tessera-img compare`: being written this session;
 * until then it says so.
 */
#include "img.h"

int img_cmd_compare(int argc, char **argv)
{
    (void)argc;
    img_error("'%s' is not built yet", argv[0]);
    return 1;
}
