/*
 * -boot and -k: the manual's examples, the legacy "-boot drives"
 * spelling, and QEMU's messages for what it refuses.
 */
#include "machine/boot-opts.h"
#include "cli/keyboard-layout.h"

#include <glib.h>
#include <glib/gstdio.h>

static char *tmp_dir;

static TsBootConfig parse_ok(const char *text)
{
    TsBootConfig c;
    GError *err = NULL;
    if (!boot_opts_parse(text, &c, &err)) {
        g_error("-boot %s: unexpected error: %s", text, err->message);
    }
    return c;
}

static void parse_fails(const char *text, const char *fragment)
{
    TsBootConfig c;
    GError *err = NULL;
    g_assert_false(boot_opts_parse(text, &c, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, fragment)) {
        g_error("-boot %s: message '%s' lacks '%s'", text, err->message,
                fragment);
    }
    g_error_free(err);
}

static void test_defaults(void)
{
    TsBootConfig c = parse_ok(NULL);
    g_assert_null(c.order);
    g_assert_null(c.once);
    g_assert_null(c.splash);
    g_assert_false(c.menu);
    g_assert_false(c.strict);
    g_assert_cmpint(c.splash_time, ==, -1);
    g_assert_cmpint(c.reboot_timeout, ==, -1);   /* no reboot */
    boot_opts_clear(&c);
}

static void test_manual_examples(void)
{
    /* "try to boot from network first, then from hard disk" */
    TsBootConfig c = parse_ok("order=nc");
    g_assert_cmpstr(c.order, ==, "nc");
    boot_opts_clear(&c);
    /* "boot from CD-ROM first, switch back to default order after
     * reboot" */
    c = parse_ok("once=d");
    g_assert_cmpstr(c.once, ==, "d");
    g_assert_null(c.order);
    boot_opts_clear(&c);
    /* The legacy spelling: "-boot dc" is order=dc. */
    c = parse_ok("dc");
    g_assert_cmpstr(c.order, ==, "dc");
    boot_opts_clear(&c);
    c = parse_ok("order=cdn,once=n,menu=on,strict=on,reboot-timeout=1000");
    g_assert_true(c.menu);
    g_assert_true(c.strict);
    g_assert_cmpint(c.reboot_timeout, ==, 1000);
    boot_opts_clear(&c);
}

static void test_splash(void)
{
    /* "boot with a splash picture for 5 seconds" */
    g_autofree char *bmp = g_build_filename(tmp_dir, "boot.bmp", NULL);
    unsigned char head[54] = { 'B', 'M' };
    head[28] = 24;                          /* bits per pixel */
    g_assert_true(g_file_set_contents(bmp, (char *)head, sizeof(head),
                                      NULL));
    g_autofree char *arg = g_strdup_printf("menu=on,splash=%s,"
                                           "splash-time=5000", bmp);
    TsBootConfig c = parse_ok(arg);
    g_assert_cmpstr(c.splash, ==, bmp);
    g_assert_cmpint(c.splash_time, ==, 5000);
    boot_opts_clear(&c);

    g_autofree char *jpg = g_build_filename(tmp_dir, "boot.jpg", NULL);
    g_assert_true(g_file_set_contents(jpg, "\xff\xd8\xff\xe0", 4, NULL));
    g_autofree char *arg2 = g_strdup_printf("splash=%s", jpg);
    c = parse_ok(arg2);
    boot_opts_clear(&c);

    head[28] = 8;                           /* a palette BMP */
    g_assert_true(g_file_set_contents(bmp, (char *)head, sizeof(head),
                                      NULL));
    g_autofree char *msg = g_strdup_printf("splash file '%s' format not "
                                           "recognized; must be JPEG or 24 "
                                           "bit BMP", bmp);
    parse_fails(arg, msg);
    g_autofree char *missing = g_build_filename(tmp_dir, "none.bmp", NULL);
    g_autofree char *arg3 = g_strdup_printf("splash=%s", missing);
    g_autofree char *msg3 = g_strdup_printf("failed to find file '%s'",
                                            missing);
    parse_fails(arg3, msg3);
}

static void test_refused(void)
{
    parse_fails("order=q", "Invalid boot device 'q'");
    parse_fails("order=cdc", "Boot device 'c' was given twice");
    parse_fails("once=C", "Invalid boot device 'C'");
    parse_fails("order=a,once=nn", "Boot device 'n' was given twice");
    parse_fails("splash-time=65536", "splash-time is invalid, it should be "
                "a value between 0 and 65535");
    parse_fails("splash-time=-1", "splash-time is invalid");
    parse_fails("reboot-timeout=-2", "reboot timeout is invalid, it should "
                "be a value between -1 and 65535");
    parse_fails("reboot-timeout=65536", "reboot timeout is invalid");
    parse_fails("reboot-timeout=soon", "Parameter 'reboot-timeout' expects "
                "an integer");
    parse_fails("menu=maybe", "Parameter 'menu' expects 'on' or 'off'");
    parse_fails("order=c,speed=fast", "Invalid parameter 'speed'");
    /* -1 is QEMU's documented "do not reboot". */
    TsBootConfig c = parse_ok("reboot-timeout=-1");
    g_assert_cmpint(c.reboot_timeout, ==, -1);
    c = parse_ok("order=abcdefghijklmnop,splash-time=0");
    g_assert_cmpint(c.splash_time, ==, 0);
    boot_opts_clear(&c);
}

static void test_keyboard_layouts(void)
{
    /* The manual's table, every entry, and its default. */
    static const char *const manual[] = {
        "ar", "de-ch", "es", "fo", "fr-ca", "hu", "ja", "mk", "no",
        "pt-br", "sv", "da", "en-gb", "et", "fr", "fr-ch", "is", "lt",
        "nl", "pl", "ru", "th", "de", "en-us", "fi", "fr-be", "hr", "it",
        "lv", "nl-be", "pt", "sl", "tr", NULL };
    for (int i = 0; manual[i]; i++) {
        g_assert_true(keyboard_layout_check(manual[i], NULL));
    }
    g_assert_true(keyboard_layout_check(KEYBOARD_LAYOUT_DEFAULT, NULL));
    GError *err = NULL;
    g_assert_false(keyboard_layout_check("fr_FR", &err));
    g_assert_nonnull(strstr(err->message, "keyboard layout 'fr_FR' is not "
                                          "known (known layouts: ar da"));
    g_error_free(err);
    g_assert_false(keyboard_layout_check("", NULL));
    g_assert_false(keyboard_layout_check("EN-US", NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-boot-XXXXXX", NULL);
    g_test_add_func("/boot/defaults", test_defaults);
    g_test_add_func("/boot/manual-examples", test_manual_examples);
    g_test_add_func("/boot/splash", test_splash);
    g_test_add_func("/boot/refused", test_refused);
    g_test_add_func("/keyboard/layouts", test_keyboard_layouts);
    int rc = g_test_run();
    g_autofree char *bmp = g_build_filename(tmp_dir, "boot.bmp", NULL);
    g_autofree char *jpg = g_build_filename(tmp_dir, "boot.jpg", NULL);
    g_unlink(bmp);
    g_unlink(jpg);
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
