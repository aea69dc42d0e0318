/*
 * core/nbd/nbd.h - what the rest of the core calls of the NBD server.
 */
#ifndef TESSERA_CORE_NBD_H
#define TESSERA_CORE_NBD_H

/* At exit, before the block layer closes its nodes: stop the server and
 * drop every export (their clients' requests complete first). */
void nbd_shutdown(void);

#endif
