/*
 * core/loader/loader-elf.c - ELF32 and ELF64 little-endian executables.
 *
 * Only the program headers matter to a loader: every PT_LOAD segment is
 * copied to its physical address (p_paddr), and the part of p_memsz past
 * p_filesz is zero-filled.  Any machine type is accepted; the board knows
 * what its CPUs run.
 *
 * Fields are read byte by byte at the offsets glibc's <elf.h> structs
 * give, rather than by casting the file to those structs: the buffer has
 * no alignment guarantee and the host may be big-endian.  Each field is
 * checked against the file size before it is trusted, with arithmetic
 * that cannot overflow, since the file may be truncated or hostile.
 */
#include "loader-internal.h"

#include <elf.h>

/* Where the fields we need sit in one ELF class. */
typedef struct ElfLayout {
    unsigned ehdr_size, phdr_size, word;
    unsigned e_entry, e_phoff, e_phentsize, e_phnum;
    unsigned p_offset, p_paddr, p_filesz, p_memsz;
    uint64_t addr_limit;        /* highest address + 1, 0 for 2^64 */
} ElfLayout;

static const ElfLayout elf32_layout = {
    sizeof(Elf32_Ehdr), sizeof(Elf32_Phdr), 4,
    offsetof(Elf32_Ehdr, e_entry), offsetof(Elf32_Ehdr, e_phoff),
    offsetof(Elf32_Ehdr, e_phentsize), offsetof(Elf32_Ehdr, e_phnum),
    offsetof(Elf32_Phdr, p_offset), offsetof(Elf32_Phdr, p_paddr),
    offsetof(Elf32_Phdr, p_filesz), offsetof(Elf32_Phdr, p_memsz),
    UINT64_C(1) << 32,
};

static const ElfLayout elf64_layout = {
    sizeof(Elf64_Ehdr), sizeof(Elf64_Phdr), 8,
    offsetof(Elf64_Ehdr, e_entry), offsetof(Elf64_Ehdr, e_phoff),
    offsetof(Elf64_Ehdr, e_phentsize), offsetof(Elf64_Ehdr, e_phnum),
    offsetof(Elf64_Phdr, p_offset), offsetof(Elf64_Phdr, p_paddr),
    offsetof(Elf64_Phdr, p_filesz), offsetof(Elf64_Phdr, p_memsz),
    0,
};

/* A little-endian number of `size` bytes (callers checked the bounds). */
static uint64_t read_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;) {
        v = v << 8 | p[i];
    }
    return v;
}

bool elf_recognise(const uint8_t *buf, size_t len)
{
    return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

/* The class layout after checking e_ident, or NULL + errp. */
static const ElfLayout *check_ident(const char *path, const uint8_t *buf,
                                    size_t len, GError **errp)
{
    if (len < EI_NIDENT) {
        load_refuse(errp, path, "ELF header is truncated (file is %zu "
                    "bytes)", len);
        return NULL;
    }
    if (buf[EI_DATA] == ELFDATA2MSB) {
        load_refuse(errp, path, "is a big-endian ELF; only little-endian "
                    "ELF images can be loaded");
        return NULL;
    }
    if (buf[EI_DATA] != ELFDATA2LSB) {
        load_refuse(errp, path, "unknown ELF data encoding %u",
                    buf[EI_DATA]);
        return NULL;
    }
    if (buf[EI_VERSION] != EV_CURRENT) {
        load_refuse(errp, path, "unknown ELF version %u", buf[EI_VERSION]);
        return NULL;
    }
    const ElfLayout *l = buf[EI_CLASS] == ELFCLASS32 ? &elf32_layout
                       : buf[EI_CLASS] == ELFCLASS64 ? &elf64_layout : NULL;
    if (!l) {
        load_refuse(errp, path, "unknown ELF class %u", buf[EI_CLASS]);
        return NULL;
    }
    if (len < l->ehdr_size) {
        load_refuse(errp, path, "ELF header is truncated (file is %zu "
                    "bytes, the header is %u)", len, l->ehdr_size);
        return NULL;
    }
    unsigned type = read_le(buf + offsetof(Elf32_Ehdr, e_type), 2);
    if (type != ET_EXEC && type != ET_DYN) {
        load_refuse(errp, path, "is an ELF %s, not an executable",
                    type == ET_REL ? "relocatable object"
                    : type == ET_CORE ? "core dump" : "file of unknown type");
        return NULL;
    }
    return l;
}

/* Add the chunks of program header i if it is a PT_LOAD. */
static bool add_segment(LoadPlan *plan, const ElfLayout *l,
                        const uint8_t *buf, size_t len, const uint8_t *ph,
                        unsigned i, GError **errp)
{
    const char *path = plan->path;
    if (read_le(ph, 4) != PT_LOAD) {    /* p_type is first in both */
        return true;
    }
    uint64_t offset = read_le(ph + l->p_offset, l->word);
    uint64_t paddr = read_le(ph + l->p_paddr, l->word);
    uint64_t filesz = read_le(ph + l->p_filesz, l->word);
    uint64_t memsz = read_le(ph + l->p_memsz, l->word);
    if (filesz > memsz) {
        return load_refuse(errp, path, "segment %u: p_filesz 0x%" PRIx64
                           " is larger than p_memsz 0x%" PRIx64, i, filesz,
                           memsz);
    }
    if (offset > len || filesz > len - offset) {
        return load_refuse(errp, path, "segment %u: file data 0x%" PRIx64
                           "+0x%" PRIx64 " lies past the end of the file "
                           "(%zu bytes)", i, offset, filesz, len);
    }
    /* ELF32 addresses end at 4 GiB, ELF64 ones at 2^64. */
    bool wraps = memsz && (paddr + memsz - 1 < paddr ||
                           (l->addr_limit && (paddr >= l->addr_limit ||
                                              memsz > l->addr_limit - paddr)));
    if (wraps) {
        return load_refuse(errp, path, "segment %u: 0x%" PRIx64 "+0x%"
                           PRIx64 " wraps past the end of the address "
                           "space", i, paddr, memsz);
    }
    char what[32];
    g_snprintf(what, sizeof(what), "segment %u", i);
    load_plan_add(plan, paddr, buf + offset, filesz, what);
    g_snprintf(what, sizeof(what), "segment %u zero fill", i);
    load_plan_add(plan, paddr + filesz, NULL, memsz - filesz, what);
    return true;
}

bool elf_parse(LoadPlan *plan, GBytes *file, GError **errp)
{
    const char *path = plan->path;
    size_t len;
    const uint8_t *buf = g_bytes_get_data(file, &len);
    const ElfLayout *l = check_ident(path, buf, len, errp);
    if (!l) {
        return false;
    }
    uint64_t phoff = read_le(buf + l->e_phoff, l->word);
    unsigned phentsize = read_le(buf + l->e_phentsize, 2);
    unsigned phnum = read_le(buf + l->e_phnum, 2);
    if (phnum == 0) {
        return load_refuse(errp, path, "ELF has no program headers");
    }
    if (phnum == PN_XNUM) {
        return load_refuse(errp, path, "ELF uses extended program header "
                           "numbering (65535 or more), which is not "
                           "supported");
    }
    if (phentsize < l->phdr_size) {
        return load_refuse(errp, path, "ELF program header size %u is "
                           "smaller than %u", phentsize, l->phdr_size);
    }
    uint64_t table = (uint64_t)phnum * phentsize;   /* < 2^32 */
    if (phoff > len || table > len - phoff) {
        return load_refuse(errp, path, "ELF program headers (%u at 0x%"
                           PRIx64 ") lie past the end of the file (%zu "
                           "bytes)", phnum, phoff, len);
    }
    load_plan_keep(plan, file);
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = buf + phoff + (uint64_t)i * phentsize;
        if (!add_segment(plan, l, buf, len, ph, i, errp)) {
            return false;
        }
    }
    if (plan->chunks->len == 0) {
        return load_refuse(errp, path, "ELF has no loadable segment");
    }
    plan->info.format = TS_IMAGE_ELF;
    plan->info.entry = read_le(buf + l->e_entry, l->word);
    plan->info.has_entry = true;
    return true;
}
