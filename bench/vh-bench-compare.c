/*
 * vh-bench-compare: times two commands run alternately (A B A B ...), each as a whole process
 * with its output discarded, and prints each one's median, min and max wall time and the
 * median of the per-pair ratios A/B (pairs cancel the drift of a noisy machine).
 *
 *   vh-bench-compare [-n RUNS] [-w WARMUP] [--stdin FILE] --label-a TEXT --label-b TEXT
 *                    -- CMD_A... --vs CMD_B...
 */
#include "config.h"

#include <fcntl.h>
#include <glib.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *stdin_file = "/dev/null";

static double
run_once(char **argv)
{
    posix_spawn_file_actions_t fa;
    struct timespec t0, t1;
    pid_t pid;
    int status;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, stdin_file, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        fprintf(stderr, "vh-bench-compare: cannot run '%s'\n", argv[0]);
        exit(2);
    }
    waitpid(pid, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1)) {
        fprintf(stderr, "vh-bench-compare: '%s' failed (status %d)\n", argv[0], status);
        exit(1);
    }
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
    int runs = 21, warmup = 2, i, rc = 0;
    double goal = 0; /* the most A/B may be (README's Benchmarks); 0: none */
    const char *label_a = "A", *label_b = "B";
    char **cmd_a = NULL, **cmd_b = NULL;
    double *a, *b, *r;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (strcmp(argv[i], "--stdin") == 0 && i + 1 < argc)
            stdin_file = argv[++i];
        else if (strcmp(argv[i], "--label-a") == 0 && i + 1 < argc)
            label_a = argv[++i];
        else if (strcmp(argv[i], "--label-b") == 0 && i + 1 < argc)
            label_b = argv[++i];
        else if (strcmp(argv[i], "--goal") == 0 && i + 1 < argc)
            goal = g_ascii_strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--") == 0) {
            cmd_a = &argv[i + 1];
            break;
        }
    }
    for (; cmd_a != NULL && i < argc; i++) {
        if (strcmp(argv[i], "--vs") == 0) {
            argv[i] = NULL;
            cmd_b = &argv[i + 1];
            break;
        }
    }
    if (cmd_a == NULL || cmd_b == NULL || cmd_a[0] == NULL || cmd_b[0] == NULL || runs < 1) {
        fprintf(stderr, "usage: vh-bench-compare [-n RUNS] [-w WARMUP] [--stdin FILE] [--label-a TEXT] "
                        "[--label-b TEXT] [--goal RATIO] -- CMD_A... --vs CMD_B...\n");
        return 2;
    }
    a = g_new(double, runs);
    b = g_new(double, runs);
    r = g_new(double, runs);
    for (i = 0; i < warmup; i++) {
        run_once(cmd_a);
        run_once(cmd_b);
    }
    for (i = 0; i < runs; i++) {
        a[i] = run_once(cmd_a);
        b[i] = run_once(cmd_b);
        r[i] = a[i] / b[i];
    }
    {
        double ma = median(a, runs), mb = median(b, runs), mr = median(r, runs);

        printf("  %-34s median %7.3f ms  (min %.3f, max %.3f)\n", label_a, ma * 1e3, a[0] * 1e3,
               a[runs - 1] * 1e3);
        printf("  %-34s median %7.3f ms  (min %.3f, max %.3f)\n", label_b, mb * 1e3, b[0] * 1e3,
               b[runs - 1] * 1e3);
        printf("  ratio %s / %s: %.2f (median of %d paired runs)\n", label_a, label_b, mr, runs);
        /* a goal missed is a failure of `make bench`, said as such */
        if (goal > 0 && mr > goal) {
            printf("  FAIL: the ratio %.2f misses its goal <= %.2f\n", mr, goal);
            rc = 1;
        } else if (goal > 0) {
            printf("  goal <= %.2f: met\n", goal);
        }
    }
    g_free(a);
    g_free(b);
    g_free(r);
    return rc;
}
