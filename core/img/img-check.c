/*
 * core/img/img-check.c - `tessera-img check`: being written this session;
 * until then it says so.
 */
#include "img.h"

int img_cmd_check(int argc, char **argv)
{
    (void)argc;
    img_error("'%s' is not built yet", argv[0]);
    return 1;
}
