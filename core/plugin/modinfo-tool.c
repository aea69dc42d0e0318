/*
 * tessera-modinfo - write a plugin's sidecar by loading it once.
 *
 *   tessera-modinfo [--package NAME] PLUGIN.so OUTPUT.modinfo
 *
 * Run by the build for every plugin (and by third parties for theirs), so
 * that at run time the core learns what a plugin provides without loading
 * it.  The entry point lives in libtessera so it shares the core's loader.
 */
int tessera_modinfo_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return tessera_modinfo_main(argc, argv);
}
