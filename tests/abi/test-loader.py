#!/usr/bin/env python3
"""The plugin loader: loads good plugins, refuses bad ones with the right
message.  Each case gets its own plugin directory with a sidecar written
here, so the refusal paths can be reached on purpose."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import BUILD, Tap, core_abi, run, tessera  # noqa: E402

ABI = os.path.join(BUILD, "tests", "abi")
MODINFO = os.path.join(BUILD, "tessera-modinfo")
t = Tap()
MAJOR, MINOR = core_abi()
CORE = "%d.%d" % (MAJOR, MINOR)
OTHER_MAJOR = "%d.0" % (MAJOR + 1)


def sidecar(name, abi=None, device=None, package=None):
    abi = abi or CORE
    device = device or name + "-dev"
    text = "[plugin]\nformat=1\nname=%s\nabi=%s\ntier=stable\n" % (name, abi)
    if package:
        text += "package=%s\n" % package
    text += "\n[device %s]\ntype=%s\nparent=device\n" % (device, device)
    text += "description=test device\nuser-creatable=true\n"
    return text


def plugin_dir(name, sidecar_text=None, copy_so=True):
    d = tempfile.mkdtemp(prefix="tessera-abi-")
    if copy_so:
        shutil.copy(os.path.join(ABI, name + ".so"), d)
    with open(os.path.join(d, name + ".modinfo"), "w") as f:
        f.write(sidecar_text if sidecar_text is not None else sidecar(name))
    return d


def try_device(d, device, *extra):
    return tessera("-plugin-path", d, "-M", "none", "-S", "-display", "none",
                   "-device", device, *extra, input="")


# The build generated a sidecar for the good plugin; it must match.
d = tempfile.mkdtemp(prefix="tessera-abi-")
shutil.copy(os.path.join(ABI, "abi-good.so"), d)
rc, out, err = run([MODINFO, "--package", "tessera-test",
                    os.path.join(d, "abi-good.so"),
                    os.path.join(d, "abi-good.modinfo")])
t.ok(rc == 0, "tessera-modinfo writes a sidecar", err)
text = open(os.path.join(d, "abi-good.modinfo")).read() if rc == 0 else ""
t.ok("[device abi-good-dev]" in text and "package=tessera-test" in text,
     "sidecar lists the device and the package", text)

rc, out, err = tessera("-plugin-path", d, "-device", "help")
t.ok(rc == 0 and 'name "abi-good-dev"' in out, "-device help lists it", out + err)

rc, out, err = tessera("-plugin-path", d, "-device", "abi-good-dev,help")
t.ok(rc == 0 and "size=<size>" in out and "label=<str" in out,
     "-device abi-good-dev,help lists its properties", out + err)

# The device is instantiated and realized; with -S and stdin at EOF and no
# monitor, the VM just sits; use a QMP quit to end it.
rc, out, err = tessera("-plugin-path", d, "-M", "none", "-S", "-display",
                       "none", "-device", "abi-good-dev,id=g0,size=8K",
                       "-qmp", "stdio",
                       input='{"execute":"qmp_capabilities"}\n'
                             '{"execute":"quit"}\n')
t.ok(rc == 0 and '"return"' in out, "a good plugin's device is created",
     out + err)

rc, out, err = try_device(d, "abi-good-dev,size=0")
t.ok(rc == 1 and "-device abi-good-dev,size=0:" in err and
     "must not be 0" in err, "realize errors reach the user", err)

rc, out, err = try_device(d, "abi-good-dev,size=12Q")
t.ok(rc == 1 and "size" in err and err.count("\n") == 1,
     "a bad property value is one clear line", err)

# Refusals.
rc, out, err = try_device(plugin_dir("abi-major",
                                     sidecar("abi-major", OTHER_MAJOR)),
                          "abi-major-dev")
t.ok(rc == 1 and "ABI " + OTHER_MAJOR in err and "ABI " + CORE in err and
     "abi-major.so" in err,
     "other ABI major refused from the sidecar, naming file and versions", err)

rc, out, err = try_device(plugin_dir("abi-major"), "abi-major-dev")
t.ok(rc == 1 and "incompatible" in err and "ABI %d." % (MAJOR + 1) in err,
     "other ABI major refused from the descriptor even if the sidecar lies",
     err)

rc, out, err = try_device(plugin_dir("abi-minor"), "abi-minor-dev")
t.ok(rc == 1 and "needs plugin ABI %d.%d" % (MAJOR, MINOR + 1) in err and
     "upgrade" in err,
     "newer ABI minor refused", err)

rc, out, err = try_device(plugin_dir("abi-internal"), "abi-internal-dev")
t.ok(rc == 1 and "some-other-build" in err, "internal tier from another "
     "build refused", err)

rc, out, err = try_device(plugin_dir("abi-failinit"), "abi-failinit-dev")
t.ok(rc == 1 and "failed to initialise" in err and "on purpose" in err,
     "a failing init is reported", err)

liar = sidecar("abi-good", device="something-else")
rc, out, err = try_device(plugin_dir("abi-good", liar), "something-else")
t.ok(rc == 1 and "does not match its sidecar" in err,
     "a plugin that disagrees with its sidecar is refused", err)

missing = plugin_dir("abi-good", sidecar("abi-good", package="tessera-extra"),
                     copy_so=False)
rc, out, err = try_device(missing, "abi-good-dev")
t.ok(rc == 1 and "not installed" in err and "tessera-extra" in err,
     "a missing .so names its package", err)

rc, out, err = tessera("-plugin-path", d, "-device", "nosuch")
t.ok(rc == 1 and err.strip() == "tessera-system-riscv64: -device nosuch: "
     "no plugin provides device 'nosuch'", "unknown device: one line", err)

garbage = plugin_dir("abi-good", "this is not a key file")
rc, out, err = try_device(garbage, "abi-good-dev")
t.ok(rc == 1 and "ignoring plugin sidecar" in err,
     "a corrupt sidecar is ignored with a warning", err)

bad_so = tempfile.mkdtemp(prefix="tessera-abi-")
with open(os.path.join(bad_so, "abi-good.so"), "w") as f:
    f.write("not an ELF file")
with open(os.path.join(bad_so, "abi-good.modinfo"), "w") as f:
    f.write(sidecar("abi-good"))
rc, out, err = try_device(bad_so, "abi-good-dev")
t.ok(rc == 1 and "failed to load plugin" in err, "a corrupt .so fails "
     "cleanly", err)

t.done()
