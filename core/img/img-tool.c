/*
 * The tessera-img binary: the image tool lives in libtessera, next to the
 * block layer it drives; this file only hands over argv.
 */
int tessera_img_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return tessera_img_main(argc, argv);
}
