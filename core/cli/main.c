/*
 * The tessera binary.  All of the core lives in libtessera.so, shared with
 * the plugins; this file only hands over argv.  Installed (or symlinked) as
 * tessera-system-<target>, the target comes from the program name.
 */
int tessera_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return tessera_main(argc, argv);
}
