/*
 * paired: time two commands in turn, A B B A A B ..., each a fresh
 * process with its output thrown away, and print each one's median wall
 * time and the median of the per-pair ratios B/A. Pairing keeps a ratio
 * honest on a shared machine whose speed drifts: both halves of a pair
 * run under the same conditions. The order flips every pair, so each
 * command follows the other as often as itself (a process started right
 * after a heavy one pays for the memory it left to reclaim).
 *
 * Usage: paired RUNS WARMUP -- A [ARGS...] -- B [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Wall time of one run of @p argv, or a negative value when it failed. */
static double run(char *const *argv)
{
    double t0 = now_ms();
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    return now_ms() - t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    char **a;
    char **b = NULL;
    double *ta;
    double *tb;
    double *ratio;
    int runs;
    int warmup;
    int i;

    if (argc < 6 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: paired RUNS WARMUP -- A [ARGS] -- B [ARGS]\n");
        return 2;
    }
    runs = atoi(argv[1]);
    warmup = atoi(argv[2]);
    a = argv + 4;
    for (i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            argv[i] = NULL;
            b = argv + i + 1;
            break;
        }
    }
    if (runs < 1 || runs > 10000 || warmup < 0 || !b || !*a || !*b) {
        fprintf(stderr, "usage: paired RUNS WARMUP -- A [ARGS] -- B [ARGS]\n");
        return 2;
    }
    ta = calloc((size_t)runs, sizeof(*ta));
    tb = calloc((size_t)runs, sizeof(*tb));
    ratio = calloc((size_t)runs, sizeof(*ratio));
    if (!ta || !tb || !ratio)
        return 1;
    for (i = -warmup; i < runs; i++) {
        double x = 0;
        double y = 0;

        if (i % 2 == 0) {
            x = run(a);
            y = run(b);
        } else {
            y = run(b);
            x = run(a);
        }

        if (x < 0 || y < 0) {
            fprintf(stderr, "paired: %s failed\n", x < 0 ? a[0] : b[0]);
            return 1;
        }
        if (i >= 0) {
            ta[i] = x;
            tb[i] = y;
            ratio[i] = y / x;
        }
    }
    printf("A median %.2f ms\nB median %.2f ms\nB/A median of %d pairs "
           "%.2f\n",
           median(ta, runs), median(tb, runs), runs, median(ratio, runs));
    free(ta);
    free(tb);
    free(ratio);
    return 0;
}
