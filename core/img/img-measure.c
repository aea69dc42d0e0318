/*
 * core/img/img-measure.c - `tessera-img measure`: being written this session;
 * until then it says so.
 */
#include "img.h"

int img_cmd_measure(int argc, char **argv)
{
    (void)argc;
    img_error("'%s' is not built yet", argv[0]);
    return 1;
}
