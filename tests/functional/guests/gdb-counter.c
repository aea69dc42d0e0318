/*
 * gdb-counter.c - the guest test-gdbstub.py debugs: hart 0 calls bump()
 * `limit` times, prints the counter and ends the run through sifive_test;
 * the other harts count in a loop of their own.  Built with -g so gdb
 * finds bump, counter and limit by name.
 */
#include "bare.h"

volatile uint64_t counter;
volatile uint64_t limit = 1000;     /* a debugger may raise it */
volatile uint64_t other_ticks;

__attribute__((noinline)) void bump(void)
{
    counter++;
}

int main(void)
{
    puts_("gdb-guest: start\n");
    for (uint64_t i = 0; i < limit; i++) {
        bump();
    }
    show("gdb-guest: counter", counter);
    w32(TEST_DEV, 0x5555);          /* pass: the emulator exits with 0 */
    for (;;) {
    }
}

void secondary(uint64_t hartid)
{
    (void)hartid;
    for (;;) {
        other_ticks++;
    }
}
