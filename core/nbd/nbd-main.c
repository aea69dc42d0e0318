/*
 * The tessera-nbd binary: the NBD server lives in libtessera, next to
 * the block layer it serves; this file only hands over argv.
 */
int tessera_nbd_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return tessera_nbd_main(argc, argv);
}
