/*
 * core/img/img-info.c - `tessera-img info`: being written this session;
 * until then it says so.
 */
#include "img.h"

int img_cmd_info(int argc, char **argv)
{
    (void)argc;
    img_error("'%s' is not built yet", argv[0]);
    return 1;
}
