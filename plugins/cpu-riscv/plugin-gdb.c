/*
 * plugin-gdb.c - the hart's registers by GDB number and its target
 * description, for the gdbstub (TsCpuClass gdb_* hooks in plugin.c).
 * Values go out little-endian, as RISC-V stores them.
 */
#include "plugin-gdb.h"

#define GDB_PC 32
#define GDB_F0 33
#define GDB_CSR0 65

/* The documents gdb reads with qXfer:features:read, written for this
 * hart: the integer registers and pc, the F/D registers with the
 * floating-point CSRs, and the supervisor and machine trap CSRs. */
static const char xml_target[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "  <architecture>riscv:rv64</architecture>\n"
    "  <xi:include href=\"riscv-64bit-cpu.xml\"/>\n"
    "  <xi:include href=\"riscv-64bit-fpu.xml\"/>\n"
    "  <xi:include href=\"riscv-64bit-csr.xml\"/>\n"
    "</target>\n";

static const char xml_cpu[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
    "<feature name=\"org.gnu.gdb.riscv.cpu\">\n"
    "  <reg name=\"zero\" bitsize=\"64\" type=\"int\" regnum=\"0\"/>\n"
    "  <reg name=\"ra\" bitsize=\"64\" type=\"code_ptr\" regnum=\"1\"/>\n"
    "  <reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"2\"/>\n"
    "  <reg name=\"gp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"3\"/>\n"
    "  <reg name=\"tp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"4\"/>\n"
    "  <reg name=\"t0\" bitsize=\"64\" type=\"int\" regnum=\"5\"/>\n"
    "  <reg name=\"t1\" bitsize=\"64\" type=\"int\" regnum=\"6\"/>\n"
    "  <reg name=\"t2\" bitsize=\"64\" type=\"int\" regnum=\"7\"/>\n"
    "  <reg name=\"fp\" bitsize=\"64\" type=\"int\" regnum=\"8\"/>\n"
    "  <reg name=\"s1\" bitsize=\"64\" type=\"int\" regnum=\"9\"/>\n"
    "  <reg name=\"a0\" bitsize=\"64\" type=\"int\" regnum=\"10\"/>\n"
    "  <reg name=\"a1\" bitsize=\"64\" type=\"int\" regnum=\"11\"/>\n"
    "  <reg name=\"a2\" bitsize=\"64\" type=\"int\" regnum=\"12\"/>\n"
    "  <reg name=\"a3\" bitsize=\"64\" type=\"int\" regnum=\"13\"/>\n"
    "  <reg name=\"a4\" bitsize=\"64\" type=\"int\" regnum=\"14\"/>\n"
    "  <reg name=\"a5\" bitsize=\"64\" type=\"int\" regnum=\"15\"/>\n"
    "  <reg name=\"a6\" bitsize=\"64\" type=\"int\" regnum=\"16\"/>\n"
    "  <reg name=\"a7\" bitsize=\"64\" type=\"int\" regnum=\"17\"/>\n"
    "  <reg name=\"s2\" bitsize=\"64\" type=\"int\" regnum=\"18\"/>\n"
    "  <reg name=\"s3\" bitsize=\"64\" type=\"int\" regnum=\"19\"/>\n"
    "  <reg name=\"s4\" bitsize=\"64\" type=\"int\" regnum=\"20\"/>\n"
    "  <reg name=\"s5\" bitsize=\"64\" type=\"int\" regnum=\"21\"/>\n"
    "  <reg name=\"s6\" bitsize=\"64\" type=\"int\" regnum=\"22\"/>\n"
    "  <reg name=\"s7\" bitsize=\"64\" type=\"int\" regnum=\"23\"/>\n"
    "  <reg name=\"s8\" bitsize=\"64\" type=\"int\" regnum=\"24\"/>\n"
    "  <reg name=\"s9\" bitsize=\"64\" type=\"int\" regnum=\"25\"/>\n"
    "  <reg name=\"s10\" bitsize=\"64\" type=\"int\" regnum=\"26\"/>\n"
    "  <reg name=\"s11\" bitsize=\"64\" type=\"int\" regnum=\"27\"/>\n"
    "  <reg name=\"t3\" bitsize=\"64\" type=\"int\" regnum=\"28\"/>\n"
    "  <reg name=\"t4\" bitsize=\"64\" type=\"int\" regnum=\"29\"/>\n"
    "  <reg name=\"t5\" bitsize=\"64\" type=\"int\" regnum=\"30\"/>\n"
    "  <reg name=\"t6\" bitsize=\"64\" type=\"int\" regnum=\"31\"/>\n"
    "  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>\n"
    "</feature>\n";

static const char xml_fpu[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
    "<feature name=\"org.gnu.gdb.riscv.fpu\">\n"
    "  <union id=\"riscv_double\">\n"
    "    <field name=\"float\" type=\"ieee_single\"/>\n"
    "    <field name=\"double\" type=\"ieee_double\"/>\n"
    "  </union>\n"
    "  <reg name=\"f0\" bitsize=\"64\" type=\"riscv_double\" regnum=\"33\"/>\n"
    "  <reg name=\"f1\" bitsize=\"64\" type=\"riscv_double\" regnum=\"34\"/>\n"
    "  <reg name=\"f2\" bitsize=\"64\" type=\"riscv_double\" regnum=\"35\"/>\n"
    "  <reg name=\"f3\" bitsize=\"64\" type=\"riscv_double\" regnum=\"36\"/>\n"
    "  <reg name=\"f4\" bitsize=\"64\" type=\"riscv_double\" regnum=\"37\"/>\n"
    "  <reg name=\"f5\" bitsize=\"64\" type=\"riscv_double\" regnum=\"38\"/>\n"
    "  <reg name=\"f6\" bitsize=\"64\" type=\"riscv_double\" regnum=\"39\"/>\n"
    "  <reg name=\"f7\" bitsize=\"64\" type=\"riscv_double\" regnum=\"40\"/>\n"
    "  <reg name=\"f8\" bitsize=\"64\" type=\"riscv_double\" regnum=\"41\"/>\n"
    "  <reg name=\"f9\" bitsize=\"64\" type=\"riscv_double\" regnum=\"42\"/>\n"
    "  <reg name=\"f10\" bitsize=\"64\" type=\"riscv_double\" regnum=\"43\"/>\n"
    "  <reg name=\"f11\" bitsize=\"64\" type=\"riscv_double\" regnum=\"44\"/>\n"
    "  <reg name=\"f12\" bitsize=\"64\" type=\"riscv_double\" regnum=\"45\"/>\n"
    "  <reg name=\"f13\" bitsize=\"64\" type=\"riscv_double\" regnum=\"46\"/>\n"
    "  <reg name=\"f14\" bitsize=\"64\" type=\"riscv_double\" regnum=\"47\"/>\n"
    "  <reg name=\"f15\" bitsize=\"64\" type=\"riscv_double\" regnum=\"48\"/>\n"
    "  <reg name=\"f16\" bitsize=\"64\" type=\"riscv_double\" regnum=\"49\"/>\n"
    "  <reg name=\"f17\" bitsize=\"64\" type=\"riscv_double\" regnum=\"50\"/>\n"
    "  <reg name=\"f18\" bitsize=\"64\" type=\"riscv_double\" regnum=\"51\"/>\n"
    "  <reg name=\"f19\" bitsize=\"64\" type=\"riscv_double\" regnum=\"52\"/>\n"
    "  <reg name=\"f20\" bitsize=\"64\" type=\"riscv_double\" regnum=\"53\"/>\n"
    "  <reg name=\"f21\" bitsize=\"64\" type=\"riscv_double\" regnum=\"54\"/>\n"
    "  <reg name=\"f22\" bitsize=\"64\" type=\"riscv_double\" regnum=\"55\"/>\n"
    "  <reg name=\"f23\" bitsize=\"64\" type=\"riscv_double\" regnum=\"56\"/>\n"
    "  <reg name=\"f24\" bitsize=\"64\" type=\"riscv_double\" regnum=\"57\"/>\n"
    "  <reg name=\"f25\" bitsize=\"64\" type=\"riscv_double\" regnum=\"58\"/>\n"
    "  <reg name=\"f26\" bitsize=\"64\" type=\"riscv_double\" regnum=\"59\"/>\n"
    "  <reg name=\"f27\" bitsize=\"64\" type=\"riscv_double\" regnum=\"60\"/>\n"
    "  <reg name=\"f28\" bitsize=\"64\" type=\"riscv_double\" regnum=\"61\"/>\n"
    "  <reg name=\"f29\" bitsize=\"64\" type=\"riscv_double\" regnum=\"62\"/>\n"
    "  <reg name=\"f30\" bitsize=\"64\" type=\"riscv_double\" regnum=\"63\"/>\n"
    "  <reg name=\"f31\" bitsize=\"64\" type=\"riscv_double\" regnum=\"64\"/>\n"
    "  <reg name=\"fflags\" bitsize=\"32\" type=\"int\" regnum=\"66\"/>\n"
    "  <reg name=\"frm\" bitsize=\"32\" type=\"int\" regnum=\"67\"/>\n"
    "  <reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"68\"/>\n"
    "</feature>\n";

static const char xml_csr[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
    "<feature name=\"org.gnu.gdb.riscv.csr\">\n"
    "  <reg name=\"sstatus\" bitsize=\"64\" type=\"int\" regnum=\"321\" group=\"system\"/>\n"
    "  <reg name=\"sie\" bitsize=\"64\" type=\"int\" regnum=\"325\" group=\"system\"/>\n"
    "  <reg name=\"stvec\" bitsize=\"64\" type=\"int\" regnum=\"326\" group=\"system\"/>\n"
    "  <reg name=\"scounteren\" bitsize=\"64\" type=\"int\" regnum=\"327\" group=\"system\"/>\n"
    "  <reg name=\"sscratch\" bitsize=\"64\" type=\"int\" regnum=\"385\" group=\"system\"/>\n"
    "  <reg name=\"sepc\" bitsize=\"64\" type=\"int\" regnum=\"386\" group=\"system\"/>\n"
    "  <reg name=\"scause\" bitsize=\"64\" type=\"int\" regnum=\"387\" group=\"system\"/>\n"
    "  <reg name=\"stval\" bitsize=\"64\" type=\"int\" regnum=\"388\" group=\"system\"/>\n"
    "  <reg name=\"sip\" bitsize=\"64\" type=\"int\" regnum=\"389\" group=\"system\"/>\n"
    "  <reg name=\"satp\" bitsize=\"64\" type=\"int\" regnum=\"449\" group=\"system\"/>\n"
    "  <reg name=\"mstatus\" bitsize=\"64\" type=\"int\" regnum=\"833\" group=\"system\"/>\n"
    "  <reg name=\"misa\" bitsize=\"64\" type=\"int\" regnum=\"834\" group=\"system\"/>\n"
    "  <reg name=\"medeleg\" bitsize=\"64\" type=\"int\" regnum=\"835\" group=\"system\"/>\n"
    "  <reg name=\"mideleg\" bitsize=\"64\" type=\"int\" regnum=\"836\" group=\"system\"/>\n"
    "  <reg name=\"mie\" bitsize=\"64\" type=\"int\" regnum=\"837\" group=\"system\"/>\n"
    "  <reg name=\"mtvec\" bitsize=\"64\" type=\"int\" regnum=\"838\" group=\"system\"/>\n"
    "  <reg name=\"mcounteren\" bitsize=\"64\" type=\"int\" regnum=\"839\" group=\"system\"/>\n"
    "  <reg name=\"mscratch\" bitsize=\"64\" type=\"int\" regnum=\"897\" group=\"system\"/>\n"
    "  <reg name=\"mepc\" bitsize=\"64\" type=\"int\" regnum=\"898\" group=\"system\"/>\n"
    "  <reg name=\"mcause\" bitsize=\"64\" type=\"int\" regnum=\"899\" group=\"system\"/>\n"
    "  <reg name=\"mtval\" bitsize=\"64\" type=\"int\" regnum=\"900\" group=\"system\"/>\n"
    "  <reg name=\"mip\" bitsize=\"64\" type=\"int\" regnum=\"901\" group=\"system\"/>\n"
    "  <reg name=\"mhartid\" bitsize=\"64\" type=\"int\" regnum=\"3925\" group=\"system\"/>\n"
    "</feature>\n";

const char *riscv_gdb_xml(const char *annex)
{
    static const struct { const char *name; const char *text; } docs[] = {
        { "target.xml", xml_target },
        { "riscv-64bit-cpu.xml", xml_cpu },
        { "riscv-64bit-fpu.xml", xml_fpu },
        { "riscv-64bit-csr.xml", xml_csr },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
        if (g_str_equal(annex, docs[i].name)) {
            return docs[i].text;
        }
    }
    return NULL;
}

/* The CSRs the target description lists (fflags, frm and fcsr in the FP
 * feature, the rest in the CSR feature): only these have GDB numbers
 * here, so a `g` reply stops after f31 and a stray `p` reads nothing
 * the description does not promise. */
static const uint16_t gdb_csrs[] = {
    0x001, 0x002, 0x003,
    0x100, 0x104, 0x105, 0x106, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180,
    0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306, 0x340, 0x341, 0x342,
    0x343, 0x344, 0xf14,
};

static bool described_csr(unsigned csr)
{
    for (size_t i = 0; i < G_N_ELEMENTS(gdb_csrs); i++) {
        if (gdb_csrs[i] == csr) {
            return true;
        }
    }
    return false;
}

static void put_le(uint8_t *buf, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *buf, size_t size)
{
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

/* fflags, frm and fcsr are 32 bits wide in the target description. */
static size_t reg_size(unsigned n)
{
    return n >= GDB_CSR0 + 1 && n <= GDB_CSR0 + 3 ? 4 : 8;
}

size_t riscv_gdb_read_register(RvCpu *hart, unsigned n, uint8_t *buf,
                               size_t size)
{
    size_t len = reg_size(n);
    uint64_t v;
    if (size < len) {
        return 0;
    }
    if (n < 32) {
        v = rv_cpu_get_xreg(hart, n);
    } else if (n == GDB_PC) {
        v = rv_cpu_get_pc(hart);
    } else if (n < GDB_CSR0) {
        v = rv_cpu_get_freg(hart, n - GDB_F0);
    } else if (!described_csr(n - GDB_CSR0) ||
               !rv_cpu_read_csr(hart, n - GDB_CSR0, &v)) {
        return 0;
    }
    put_le(buf, v, len);
    return len;
}

size_t riscv_gdb_write_register(RvCpu *hart, unsigned n, const uint8_t *buf,
                                size_t len)
{
    size_t need = reg_size(n);
    if (len < need) {
        return 0;
    }
    uint64_t v = get_le(buf, need);
    if (n < 32) {
        rv_cpu_set_xreg(hart, n, v);
    } else if (n == GDB_PC) {
        rv_cpu_set_pc(hart, v);
    } else if (n < GDB_CSR0) {
        rv_cpu_set_freg(hart, n - GDB_F0, v);
    } else if (!described_csr(n - GDB_CSR0) ||
               !rv_cpu_write_csr(hart, n - GDB_CSR0, v)) {
        return 0;
    }
    return need;
}
