/*
 * bare.h - what the bare-metal C guests (aia.c, msix.c) share: CSR
 * access, volatile loads and stores, and printing on the virt board's
 * ns16550a by polling (no interrupts: the guests use the interrupt
 * controllers for what they test, not for their console).
 *
 * The output is what the tests compare between Tessera and QEMU, so
 * every value is printed the same way: "name=0xhex".
 */
#ifndef BARE_H
#define BARE_H

#include <stdint.h>

#define UART        0x10000000ul
#define UART_LSR    5
#define LSR_THRE    0x20
#define TEST_DEV    0x00100000ul    /* sifive_test: ends the run */

#define csr_read(csr) ({ uint64_t v_; \
    __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) \
    __asm__ volatile("csrw " #csr ", %0" :: "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v) \
    __asm__ volatile("csrs " #csr ", %0" :: "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) \
    __asm__ volatile("csrc " #csr ", %0" :: "r"((uint64_t)(v)) : "memory")
#define csr_swap(csr, v) ({ uint64_t v_; \
    __asm__ volatile("csrrw %0, " #csr ", %1" : "=r"(v_) \
                     : "r"((uint64_t)(v)) : "memory"); v_; })

static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline uint8_t r8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline void w16(uint64_t a, uint16_t v)
{
    *(volatile uint16_t *)a = v;
}
static inline uint16_t r16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline void w32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

static inline void putc_(char c)
{
    while (!(r8(UART + UART_LSR) & LSR_THRE)) {
    }
    w8(UART, (uint8_t)c);
}

static inline void puts_(const char *s)
{
    while (*s) {
        putc_(*s++);
    }
}

static inline void hex(uint64_t v)
{
    char buf[17];
    int n = 0;
    do {
        unsigned d = v & 15;
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v >>= 4;
    } while (v);
    puts_("0x");
    while (n) {
        putc_(buf[--n]);
    }
}

/* One line: "name=0xhex". */
static inline void show(const char *name, uint64_t v)
{
    puts_(name);
    putc_('=');
    hex(v);
    putc_('\n');
}

#endif
