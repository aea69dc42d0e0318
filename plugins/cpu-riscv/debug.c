/*
 * debug.c - a debugger's breakpoints and single-step on the hart.
 *
 * While a debugger has anything set, the hart runs through the
 * interpreter one step at a time and compares the pc with the
 * breakpoints before each instruction.  This holds with the JIT on as
 * well: compiled blocks are not used then, so breakpoints and steps
 * behave identically under jit=on and jit=off and the JIT needs no
 * breakpoint checks in its code (nor a flush when a breakpoint is set).
 * The price is interpreter speed for the time a breakpoint is set; a
 * guest that runs free after `detach` or with no breakpoint is at full
 * speed again.
 */
#include "rv-state.h"
#include "jit.h"

void rv_cpu_set_debug(RvCpu *cpu, const uint64_t *breakpoints, unsigned n,
                      bool single_step)
{
    g_free(cpu->debug_bp);
    cpu->debug_bp = n ? g_memdup2(breakpoints, n * sizeof(*breakpoints)) : NULL;
    cpu->n_debug_bp = n;
    cpu->debug_step = single_step;
    cpu->debug_active = n || single_step;
}

static bool at_breakpoint(const RvCpu *cpu)
{
    for (unsigned i = 0; i < cpu->n_debug_bp; i++) {
        if (cpu->debug_bp[i] == cpu->pc) {
            return true;
        }
    }
    return false;
}

/* True when the hart must stop for the debugger: at a breakpoint (pc
 * not yet run) or after the single step.  A hart stepped onto a
 * breakpoint reports the step: the debugger asked for one instruction. */
bool rv_debug_step(RvCpu *cpu, uint64_t *done)
{
    if (at_breakpoint(cpu) && !cpu->debug_step) {
        return true;
    }
    *done += rv_interp_exec_chunk(cpu, 1);
    return cpu->debug_step;
}
