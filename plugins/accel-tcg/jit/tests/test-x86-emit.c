/*
 * test-x86-emit.c - the bytes of the x86-64 encoder's floating-point and
 * MXCSR forms (and the general ones added with them), compared with
 * encodings from the Intel SDM; each expected string was checked by
 * disassembling it (objdump -D -b binary -mi386:x86-64 -M intel), which
 * printed the text given with it.
 */
#include <glib.h>
#include "x86-emit.h"

/* Emit one instruction with `stmt` (into b) and compare it with `expect`. */
#define CHECK(stmt, expect, asm_text) do {                                  \
        uint8_t buf_[32];                                                   \
        X86Buf bb_ = { buf_, buf_, buf_ + sizeof(buf_) }, *b = &bb_;         \
        stmt;                                                               \
        check_bytes(asm_text, buf_, (size_t)(bb_.p - buf_), expect, sizeof(expect) - 1); \
    } while (0)

static void check_bytes(const char *what, const uint8_t *got, size_t n,
                        const char *expect, size_t len)
{
    if (n != len || memcmp(got, expect, len) != 0) {
        GString *s = g_string_new(NULL);
        for (size_t i = 0; i < n; i++) {
            g_string_append_printf(s, "%02x ", got[i]);
        }
        g_test_message("%s: got %s", what, s->str);
        g_string_free(s, TRUE);
        g_test_fail();
    }
}

static void test_sse(void)
{
    CHECK(x86_fp_load(b,true,0,x86_mem(X86_RBX,0x108)),
          "\xf2\x0f\x10\x83\x08\x01\x00\x00", "movsd xmm0,QWORD PTR [rbx+0x108]");
    CHECK(x86_fp_load(b,false,9,x86_mem(X86_R12,8)),
          "\xf3\x45\x0f\x10\x4c\x24\x08", "movss xmm9,DWORD PTR [r12+0x8]");
    CHECK(x86_shiftx(b,true,X86_SHL,X86_RBP,X86_R14,X86_RCX), "\xc4\xc2\xf1\xf7\xee",
          "shlx rbp,r14,rcx");
    CHECK(x86_shiftx(b,true,X86_SHR,X86_R9,X86_RAX,X86_R15), "\xc4\x62\x83\xf7\xc8",
          "shrx r9,rax,r15");
    CHECK(x86_shiftx(b,false,X86_SAR,X86_RDX,X86_RSI,X86_RDI), "\xc4\xe2\x42\xf7\xd6",
          "sarx edx,esi,edi");
    CHECK(x86_fp_copy(b,7,0), "\x66\x0f\x28\xf8", "movapd xmm7,xmm0");
    CHECK(x86_fp_copy(b,0,7), "\x66\x0f\x28\xc7", "movapd xmm0,xmm7");
    CHECK(x86_fp_copy(b,7,9), "\x66\x41\x0f\x28\xf9", "movapd xmm7,xmm9");
    CHECK(x86_fp_store(b,true,x86_mem(X86_RBX,0x110),1),
          "\xf2\x0f\x11\x8b\x10\x01\x00\x00", "movsd QWORD PTR [rbx+0x110],xmm1");
    CHECK(x86_fp_store(b,false,x86_mem(X86_RSP,-4),10),
          "\xf3\x44\x0f\x11\x54\x24\xfc", "movss DWORD PTR [rsp-0x4],xmm10");
    CHECK(x86_fp_arith_rr(b,true,X86_FP_ADD,0,1),
          "\xf2\x0f\x58\xc1", "addsd xmm0,xmm1");
    CHECK(x86_fp_arith_rr(b,false,X86_FP_SUB,8,15),
          "\xf3\x45\x0f\x5c\xc7", "subss xmm8,xmm15");
    CHECK(x86_fp_arith_rm(b,true,X86_FP_MUL,2,x86_mem(X86_RBX,0x200)),
          "\xf2\x0f\x59\x93\x00\x02\x00\x00", "mulsd xmm2,QWORD PTR [rbx+0x200]");
    CHECK(x86_fp_arith_rm(b,false,X86_FP_DIV,3,x86_mem(X86_RBP,0)),
          "\xf3\x0f\x5e\x5d\x00", "divss xmm3,DWORD PTR [rbp+0x0]");
    CHECK(x86_fp_arith_rr(b,true,X86_FP_SQRT,0,0),
          "\xf2\x0f\x51\xc0", "sqrtsd xmm0,xmm0");
    CHECK(x86_fp_arith_rr(b,false,X86_FP_SQRT,1,2),
          "\xf3\x0f\x51\xca", "sqrtss xmm1,xmm2");
    CHECK(x86_fp_arith_rm(b,true,X86_FP_MIN,0,x86_mem(X86_RBX,0x118)),
          "\xf2\x0f\x5d\x83\x18\x01\x00\x00", "minsd xmm0,QWORD PTR [rbx+0x118]");
    CHECK(x86_fp_arith_rr(b,false,X86_FP_MAX,0,1),
          "\xf3\x0f\x5f\xc1", "maxss xmm0,xmm1");
    CHECK(x86_ucomis_rr(b,true,0,0),
          "\x66\x0f\x2e\xc0", "ucomisd xmm0,xmm0");
    CHECK(x86_ucomis_rr(b,false,0,1),
          "\x0f\x2e\xc1", "ucomiss xmm0,xmm1");
    CHECK(x86_ucomis_rm(b,true,0,x86_mem(X86_RBX,0x120)),
          "\x66\x0f\x2e\x83\x20\x01\x00\x00", "ucomisd xmm0,QWORD PTR [rbx+0x120]");
    CHECK(x86_ucomis_rm(b,false,11,x86_mem(X86_R13,0x10)),
          "\x45\x0f\x2e\x5d\x10", "ucomiss xmm11,DWORD PTR [r13+0x10]");
    CHECK(x86_cvt_fp_rr(b,true,0,1),
          "\xf3\x0f\x5a\xc1", "cvtss2sd xmm0,xmm1");
    CHECK(x86_cvt_fp_rr(b,false,0,1),
          "\xf2\x0f\x5a\xc1", "cvtsd2ss xmm0,xmm1");
    CHECK(x86_cvt_fp_rm(b,true,0,x86_mem(X86_RBX,0x108)),
          "\xf3\x0f\x5a\x83\x08\x01\x00\x00", "cvtss2sd xmm0,DWORD PTR [rbx+0x108]");
    CHECK(x86_cvt_fp2int_rr(b,true,true,true,X86_RAX,1),
          "\xf2\x48\x0f\x2c\xc1", "cvttsd2si rax,xmm1");
    CHECK(x86_cvt_fp2int_rr(b,true,false,false,X86_RCX,0),
          "\xf2\x0f\x2d\xc8", "cvtsd2si ecx,xmm0");
    CHECK(x86_cvt_fp2int_rm(b,false,true,true,X86_R9,x86_mem(X86_RBX,0x108)),
          "\xf3\x4c\x0f\x2c\x8b\x08\x01\x00\x00", "cvttss2si r9,DWORD PTR [rbx+0x108]");
    CHECK(x86_cvt_fp2int_rm(b,false,false,false,X86_RAX,x86_mem(X86_RBX,0x108)),
          "\xf3\x0f\x2d\x83\x08\x01\x00\x00", "cvtss2si eax,DWORD PTR [rbx+0x108]");
    CHECK(x86_cvt_int2fp(b,true,true,0,X86_RAX),
          "\xf2\x48\x0f\x2a\xc0", "cvtsi2sd xmm0,rax");
    CHECK(x86_cvt_int2fp(b,true,false,1,X86_RCX),
          "\xf2\x0f\x2a\xc9", "cvtsi2sd xmm1,ecx");
    CHECK(x86_cvt_int2fp(b,false,true,2,X86_R10),
          "\xf3\x49\x0f\x2a\xd2", "cvtsi2ss xmm2,r10");
    CHECK(x86_cvt_int2fp(b,false,false,0,X86_RAX),
          "\xf3\x0f\x2a\xc0", "cvtsi2ss xmm0,eax");
    CHECK(x86_mov_to_xmm(b,true,0,X86_RAX),
          "\x66\x48\x0f\x6e\xc0", "movq xmm0,rax");
    CHECK(x86_mov_to_xmm(b,false,9,X86_R8),
          "\x66\x45\x0f\x6e\xc8", "movd xmm9,r8d");
    CHECK(x86_mov_from_xmm(b,true,X86_RCX,0),
          "\x66\x48\x0f\x7e\xc1", "movq rcx,xmm0");
    CHECK(x86_mov_from_xmm(b,false,X86_RAX,12),
          "\x66\x44\x0f\x7e\xe0", "movd eax,xmm12");
    CHECK(x86_xorps(b,0,0),
          "\x0f\x57\xc0", "xorps xmm0,xmm0");
    CHECK(x86_xorps(b,9,3),
          "\x44\x0f\x57\xcb", "xorps xmm9,xmm3");
    CHECK(x86_stmxcsr(b,x86_mem(X86_RBX,0x300)),
          "\x0f\xae\x9b\x00\x03\x00\x00", "stmxcsr DWORD PTR [rbx+0x300]");
    CHECK(x86_ldmxcsr(b,x86_mem(X86_RSP,-4)),
          "\x0f\xae\x54\x24\xfc", "ldmxcsr DWORD PTR [rsp-0x4]");
    CHECK(x86_vfma_rrr(b,true,X86_FMADD,0,1,2),
          "\xc4\xe2\xf1\xa9\xc2", "vfmadd213sd xmm0,xmm1,xmm2");
    CHECK(x86_vfma_rrr(b,false,X86_FMSUB,0,1,2),
          "\xc4\xe2\x71\xab\xc2", "vfmsub213ss xmm0,xmm1,xmm2");
    CHECK(x86_vfma_rrr(b,true,X86_FNMADD,9,3,12),
          "\xc4\x42\xe1\xad\xcc", "vfnmadd213sd xmm9,xmm3,xmm12");
    CHECK(x86_vfma_rrr(b,false,X86_FNMSUB,3,14,1),
          "\xc4\xe2\x09\xaf\xd9", "vfnmsub213ss xmm3,xmm14,xmm1");
    CHECK(x86_test_mem32_imm(b,x86_mem(X86_RBX,0x228),0x6000),
          "\xf7\x83\x28\x02\x00\x00\x00\x60\x00\x00", "test DWORD PTR [rbx+0x228],0x6000");
    CHECK(x86_test_mem8_imm(b,x86_mem(X86_RBX,0x20c),1),
          "\xf6\x83\x0c\x02\x00\x00\x01", "test BYTE PTR [rbx+0x20c],0x1");
    CHECK(x86_alu_mem32_imm(b,X86_OR,x86_mem(X86_RBX,0x228),0x6000),
          "\x81\x8b\x28\x02\x00\x00\x00\x60\x00\x00", "or DWORD PTR [rbx+0x228],0x6000");
    CHECK(x86_alu_mem32_imm(b,X86_AND,x86_mem(X86_RBX,0x300),-64),
          "\x83\xa3\x00\x03\x00\x00\xc0", "and DWORD PTR [rbx+0x300],0xffffffc0");
    CHECK(x86_alu_mem32_r(b,X86_OR,x86_mem(X86_RBX,0x20c),X86_RDX),
          "\x09\x93\x0c\x02\x00\x00", "or DWORD PTR [rbx+0x20c],edx");
    CHECK(x86_mov_rr32(b,X86_RAX,X86_RAX),
          "\x89\xc0", "mov eax,eax");
    CHECK(x86_mov_rr32(b,X86_R9,X86_RDX),
          "\x41\x89\xd1", "mov r9d,edx");
    CHECK(x86_bt_ri(b,true,X86_BTR,X86_RAX,63),
          "\x48\x0f\xba\xf0\x3f", "btr rax,0x3f");
    CHECK(x86_bt_ri(b,true,X86_BTS,X86_R11,31),
          "\x49\x0f\xba\xeb\x1f", "bts r11,0x1f");
    CHECK(x86_bt_ri(b,false,X86_BTC,X86_RCX,5),
          "\x0f\xba\xf9\x05", "btc ecx,0x5");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86-emit/fp-and-mxcsr", test_sse);
    return g_test_run();
}
