/*
 * accel-tcg - runs the machine's CPUs with the CPU plugin's own executor.
 *
 * Every CPU target brings an interpreter (its exec()); this plugin owns
 * the threads that call it.  thread=multi gives each CPU a host thread;
 * thread=single runs all CPUs round robin on one thread, a slice each,
 * which is what a target without host-atomic LR/SC needs.
 *
 * jit=on (the default) asks each CPU to compile guest code instead (see
 * jit/README.md): a CPU type that has a JIT offers the x-jit and
 * x-jit-cache-size properties, settable after realize, which start_cpus
 * sets here; a CPU type without them keeps its interpreter, as does
 * jit=off.  The JIT's code generator is the static library in jit/,
 * linked into the CPU plugin (two internal-tier plugins cannot link
 * each other).
 *
 * A CPU thread runs guest code without the big lock.  It sleeps while the
 * VM is stopped (ts_vm_wait_running) and while its CPU idles in WFI with
 * no pending interrupt; ts_cpu_kick (an interrupt raised, the VM stopped)
 * wakes it.
 */
#include <tessera/build-id.h>
#include <tessera/tessera.h>

/* Instructions per exec() call, per CPU.  Interrupts and exit requests
 * end a slice early (kicks), so this only sets the per-call cost (the
 * BQL, the idle bookkeeping, the CPU's timer checks) against the round
 * robin of thread=single: a runner with one CPU takes long slices (about
 * 0.1 ms of compiled code; 20 000 made those costs 4 % of a JIT run),
 * one that takes turns short ones (a hart spinning on a lock held by the
 * next one in turn burns its whole slice: -smp 4 thread=single booted in
 * twice the time with long slices). */
#define SLICE_INSNS_ALONE 200000
#define SLICE_INSNS_SHARED 20000
#define IDLE_POLL_US (50 * 1000)    /* re-check pending work this often */

enum { THREAD_SINGLE, THREAD_MULTI };
static const char *const thread_modes[] = { "single", "multi", NULL };

typedef struct TcgAccel {
    TsObject parent;
    int thread_mode;
    uint64_t tb_size;
    bool split_wx;
    bool jit;
} TcgAccel;

/* One runner thread and the CPUs it serves. */
typedef struct Runner {
    TsThread *thread;
    GPtrArray *cpus;
    GMutex idle_lock;
    GCond idle_cond;
    bool kicked;
    bool in_exec;           /* under idle_lock: inside a CPU's exec() */
    int in_exec_waiters;    /* under idle_lock: threads in wait_idle */
    GThread *self;          /* the runner's thread, once it runs */
} Runner;

static int thread_mode;
static bool use_jit;
static bool split_wx;           /* map code caches twice (W^X) */
static uint64_t tb_size_mib;
static GPtrArray *runners;           /* of Runner * */
static volatile int stopping;

static Runner *runner_of(TsCpu *cpu)
{
    return cpu->accel_state;
}

static void wake(Runner *r)
{
    /* A CPU kicking itself (its own CSR or MMIO access changed an
     * interrupt line) is not asleep, and its loop looks at the CPU's
     * pending work before it sleeps: a cond signal would only be a
     * system call per interrupt line change, and the stale `kicked`
     * a spurious wake-up later. */
    if (g_atomic_pointer_get(&r->self) == g_thread_self() &&
        !g_atomic_int_get(&stopping)) {
        return;
    }
    g_mutex_lock(&r->idle_lock);
    r->kicked = true;
    g_mutex_unlock(&r->idle_lock);
    /* Signalled after the unlock, so that the woken thread does not
     * block at once on the lock this thread still holds. */
    g_cond_signal(&r->idle_cond);
}

static void kick_hook(TsCpu *cpu)
{
    Runner *r = runner_of(cpu);
    if (r) {
        wake(r);
    }
}

/* Sleep (without the big lock) until kicked or a short timeout. */
static void idle_wait(Runner *r)
{
    ts_bql_unlock();
    g_mutex_lock(&r->idle_lock);
    gint64 deadline = g_get_monotonic_time() + IDLE_POLL_US;
    while (!r->kicked && !g_atomic_int_get(&stopping)) {
        if (!g_cond_wait_until(&r->idle_cond, &r->idle_lock, deadline)) {
            break;
        }
    }
    r->kicked = false;
    g_mutex_unlock(&r->idle_lock);
    ts_bql_lock();
}

static bool cpu_can_run(TsCpu *cpu)
{
    TsCpuClass *cc = TS_CPU_GET_CLASS(cpu);
    if (!cpu->halted) {
        return true;
    }
    if (cc->has_work && cc->has_work(cpu)) {
        cpu->halted = false;        /* an interrupt ends WFI */
        return true;
    }
    return false;
}

/* in_exec changes are announced on idle_cond, which wait_idle also uses. */
static void set_in_exec(Runner *r, bool v)
{
    g_mutex_lock(&r->idle_lock);
    r->in_exec = v;
    if (!v && r->in_exec_waiters) {     /* a broadcast is a system call */
        g_cond_broadcast(&r->idle_cond);
    }
    g_mutex_unlock(&r->idle_lock);
}

static void *runner_main(void *opaque)
{
    Runner *r = opaque;
    g_atomic_pointer_set(&r->self, g_thread_self());
    ts_bql_lock();
    while (!ts_loop_quitting() && !g_atomic_int_get(&stopping)) {
        if (!ts_vm_running()) {
            ts_vm_wait_running();
            continue;
        }
        bool ran = false;
        for (guint i = 0; i < r->cpus->len && ts_vm_running(); i++) {
            TsCpu *cpu = g_ptr_array_index(r->cpus, i);
            if (!cpu_can_run(cpu)) {
                continue;
            }
            TsCpuClass *cc = TS_CPU_GET_CLASS(cpu);
            g_atomic_int_set(&cpu->exit_request, 0);
            set_in_exec(r, true);
            ts_bql_unlock();
            TsCpuExit why = cc->exec(cpu, r->cpus->len == 1 ? SLICE_INSNS_ALONE
                                                            : SLICE_INSNS_SHARED);
            set_in_exec(r, false);
            ts_bql_lock();
            if (why == TS_CPU_EXIT_IDLE || why == TS_CPU_EXIT_HALT) {
                cpu->halted = true;
            }
            if (why == TS_CPU_EXIT_DEBUG) {
                /* a debugger's breakpoint or step: the VM stops */
                ts_cpu_debug_stopped(cpu);
                break;
            }
            ran = true;
        }
        if (!ran && ts_vm_running()) {
            idle_wait(r);
        }
    }
    ts_bql_unlock();
    return NULL;
}

static void kick_all(bool running, void *opaque)
{
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        ts_cpu_kick(ts_cpu_by_index(i));
    }
}

static Runner *runner_new(void)
{
    Runner *r = g_new0(Runner, 1);
    r->cpus = g_ptr_array_new();
    g_mutex_init(&r->idle_lock);
    g_cond_init(&r->idle_cond);
    g_ptr_array_add(runners, r);
    return r;
}

/* Turn the JIT on in every CPU that has one (before any of them runs);
 * the others interpret. */
static bool enable_jit(GError **errp)
{
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsObject *obj = TS_OBJECT(ts_cpu_by_index(i));
        if (!ts_class_find_property(obj->klass, "x-jit")) {
            continue;
        }
        g_autofree char *bytes = g_strdup_printf("%" PRIu64, tb_size_mib << 20);
        if (!ts_object_set_bool(obj, "x-jit", true, errp) ||
            !ts_object_set_prop(obj, "x-jit-cache-size", bytes, errp)) {
            return false;
        }
        if (split_wx && (!ts_class_find_property(obj->klass, "x-jit-split-wx") ||
                         !ts_object_set_bool(obj, "x-jit-split-wx", true, errp))) {
            if (errp && !*errp) {
                g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                            "tcg: CPU type '%s' cannot split its code cache",
                            ts_object_type_name(obj));
            }
            return false;
        }
    }
    return true;
}

static bool tcg_start_cpus(GError **errp)
{
    if (use_jit && !enable_jit(errp)) {
        return false;
    }
    runners = g_ptr_array_new();
    Runner *shared = NULL;
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsCpu *cpu = ts_cpu_by_index(i);
        Runner *r = thread_mode == THREAD_MULTI ? runner_new()
                    : (shared ? shared : (shared = runner_new()));
        g_ptr_array_add(r->cpus, cpu);
        cpu->accel_state = r;
    }
    ts_cpu_set_kick_hook(kick_hook);
    ts_vm_state_notifier_add(kick_all, NULL);
    for (guint i = 0; i < runners->len; i++) {
        Runner *r = g_ptr_array_index(runners, i);
        g_autofree char *name = g_strdup_printf("CPU %u/TCG", i);
        r->thread = ts_thread_start(name, runner_main, r);
        if (!r->thread) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "cannot start a thread for CPU %u", i);
            return false;
        }
    }
    return true;
}

static void tcg_stop_cpus(void)
{
    if (!runners) {
        return;
    }
    g_atomic_int_set(&stopping, 1);
    for (guint i = 0; i < runners->len; i++) {
        Runner *r = g_ptr_array_index(runners, i);
        for (guint j = 0; j < r->cpus->len; j++) {
            ts_cpu_kick(g_ptr_array_index(r->cpus, j));
        }
        wake(r);
        if (r->thread) {
            ts_thread_join(r->thread);
        }
    }
}

/* The runners leave exec() soon after the kick that stopping the VM
 * sent, and then park because the VM is stopped. */
static void tcg_wait_idle(void)
{
    for (guint i = 0; runners && i < runners->len; i++) {
        Runner *r = g_ptr_array_index(runners, i);
        g_mutex_lock(&r->idle_lock);
        r->in_exec_waiters++;
        while (r->in_exec) {
            g_cond_wait(&r->idle_cond, &r->idle_lock);
        }
        r->in_exec_waiters--;
        g_mutex_unlock(&r->idle_lock);
    }
}

static const TsAccelOps tcg_ops = {
    .start_cpus = tcg_start_cpus,
    .stop_cpus = tcg_stop_cpus,
    .wait_idle = tcg_wait_idle,
};

static bool tcg_init_machine(TsObject *accel, TsMachine *machine,
                             GError **errp)
{
    TcgAccel *s = (TcgAccel *)accel;
    if (s->split_wx && !s->jit) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "tcg: 'split-wx' needs the JIT (jit=on)");
        return false;
    }
    if (s->tb_size > 1024) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "tcg: 'tb-size' is in MiB and at most 1024");
        return false;
    }
    thread_mode = s->thread_mode;
    use_jit = s->jit;
    split_wx = s->split_wx;
    tb_size_mib = s->tb_size;
    ts_accel_set_ops(&tcg_ops);
    return true;
}

static const TsProperty tcg_props[] = {
    TS_PROP_ENUM("thread", TcgAccel, thread_mode, "single", thread_modes,
                 "one host thread for all CPUs, or one per CPU"),
    TS_PROP_SIZE("tb-size", TcgAccel, tb_size, 0,
                 "translation cache size in MiB (0: default)"),
    TS_PROP_BOOL("split-wx", TcgAccel, split_wx, false,
                 "map the code cache twice, writable and executable"),
    TS_PROP_BOOL("jit", TcgAccel, jit, true,
                 "compile guest code to host code where the CPU type has a "
                 "JIT (off: the CPU's interpreter)"),
    TS_PROP_END,
};

static void tcg_class_init(TsObjectClass *klass, const void *data)
{
    TsAccelClass *ac = (TsAccelClass *)klass;
    ac->init_machine = tcg_init_machine;
    ts_class_add_properties(klass, tcg_props);
}

static const TsTypeInfo tcg_type = {
    .name = "tcg" TS_ACCEL_SUFFIX,
    .parent = TS_TYPE_ACCEL,
    .description = "Tiny Code Generator: runs guest code on the host CPU",
    .instance_size = sizeof(TcgAccel),
    .class_init = tcg_class_init,
};

static bool tcg_plugin_init(GError **errp)
{
    return ts_type_register(&tcg_type, errp);
}

TS_PLUGIN_INTERNAL("accel-tcg", "TCG accelerator", tcg_plugin_init,
                   TS_BUILD_ID);
