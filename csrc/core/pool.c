/* The thread pool: the project's own pthreads rather than OpenMP (torch
 * wheels bring their own OpenMP runtime; two in one process fight).
 *
 * Workers start lazily on the first parallel job, sized from the CPUs this
 * process may run on (or WEIGHTINIT_NUM_THREADS, or wi_set_num_threads).  A
 * job is a count of chunks that the caller and the workers take in turn from
 * an atomic counter; which thread runs a chunk never changes its result.  One
 * job runs at a time: a caller that finds the pool busy runs its job alone.
 * After fork() the child starts with no workers and builds them again.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER; /* held for a whole job */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* guards the fields below */
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;

static int wanted;  /* threads per job including the caller; 0 until decided */
static int started; /* worker threads running */
static pthread_t *workers;
static int stopping;
static uint64_t generation; /* bumped once per job */
static int pending;         /* workers still inside the current job */

static wi_task_fn job_fn;
static void *job_ctx;
static size_t job_count;
static atomic_size_t job_next;

static void run_chunks(wi_task_fn fn, void *ctx, size_t count)
{
    size_t i;
    while ((i = atomic_fetch_add_explicit(&job_next, 1, memory_order_relaxed)) < count)
        fn(ctx, i);
}

static void *worker_main(void *arg)
{
    uint64_t seen = (uint64_t)(uintptr_t)arg;

    pthread_mutex_lock(&lock);
    for (;;) {
        while (generation == seen && !stopping)
            pthread_cond_wait(&wake, &lock);
        if (stopping)
            break;
        seen = generation;
        wi_task_fn fn = job_fn;
        void *ctx = job_ctx;
        size_t count = job_count;
        pthread_mutex_unlock(&lock);
        run_chunks(fn, ctx, count);
        pthread_mutex_lock(&lock);
        if (--pending == 0)
            pthread_cond_signal(&finished);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static int default_threads(void)
{
    const char *env = getenv("WEIGHTINIT_NUM_THREADS");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        if (n >= 1)
            return n > WI_MAX_THREADS ? WI_MAX_THREADS : (int)n;
    }
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n >= 1)
            return n > WI_MAX_THREADS ? WI_MAX_THREADS : n;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > WI_MAX_THREADS ? WI_MAX_THREADS : (int)n;
}

/* Called with `submit` held. */
static void stop_workers(void)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    free(workers);
    workers = NULL;
    started = 0;
    stopping = 0;
}

/* Called with `submit` held; on failure runs with the workers it got. */
static void start_workers(void)
{
    int n = wanted - 1;
    if (started > 0 || n <= 0)
        return;
    workers = calloc((size_t)n, sizeof *workers);
    if (!workers)
        return;
    /* workers never handle signals: they stay with the interpreter's threads */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&workers[i], NULL, worker_main, (void *)(uintptr_t)generation) != 0)
            break;
        started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&submit);
    pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&submit);
}

static void atfork_child(void)
{
    /* the workers did not survive the fork: forget them (their stacks are gone) */
    free(workers);
    workers = NULL;
    started = 0;
    pending = 0;
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&submit);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }

int wi_get_num_threads(void)
{
    pthread_once(&once, init_once);
    pthread_mutex_lock(&submit);
    if (wanted == 0)
        wanted = default_threads();
    int n = wanted;
    pthread_mutex_unlock(&submit);
    return n;
}

void wi_set_num_threads(int n)
{
    pthread_once(&once, init_once);
    if (n < 1)
        n = 1;
    if (n > WI_MAX_THREADS)
        n = WI_MAX_THREADS;
    pthread_mutex_lock(&submit);
    if (n != wanted) {
        stop_workers();
        wanted = n;
    }
    pthread_mutex_unlock(&submit);
}

void wi_parallel_for(size_t count, wi_task_fn fn, void *ctx)
{
    pthread_once(&once, init_once);
    if (count == 0)
        return;
    if (count == 1 || pthread_mutex_trylock(&submit) != 0) {
        /* one chunk, or another job owns the pool: this thread does it all */
        for (size_t i = 0; i < count; i++)
            fn(ctx, i);
        return;
    }
    if (wanted == 0)
        wanted = default_threads();
    start_workers();
    if (started == 0) {
        for (size_t i = 0; i < count; i++)
            fn(ctx, i);
        pthread_mutex_unlock(&submit);
        return;
    }
    pthread_mutex_lock(&lock);
    job_fn = fn;
    job_ctx = ctx;
    job_count = count;
    atomic_store_explicit(&job_next, 0, memory_order_relaxed);
    pending = started;
    generation++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);

    run_chunks(fn, ctx, count);

    pthread_mutex_lock(&lock);
    while (pending > 0)
        pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&submit);
}
