/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The replay driver: a main() for a fuzz target, so that `make check` can
 * build it with the ordinary compiler (no clang, no libFuzzer) and run it
 * over its corpus.
 *
 *     t/fuzz/fuzz_beat FILE-OR-DIRECTORY...
 *
 * Every file named, and every file in every directory named (not dot
 * files, in name order), is one input.  On success it prints one line,
 * "fuzz corpus beat: 37 inputs ok", and exits 0; on a crash or a broken
 * invariant it names the input it was running and dies of the signal.
 */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static const char *target = "?";
static const char *current = NULL;

static void say(const char *s)
{
    apr_size_t n = strlen(s);

    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);

        if (w <= 0) {
            return;
        }
        s += w;
        n -= (apr_size_t)w;
    }
}

/* Name the input that crashed, then die of the same signal. */
static void on_crash(int sig)
{
    say("fuzz corpus ");
    say(target);
    say(": crashed on ");
    say(current ? current : "(no input)");
    say("\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, n;

    if (f == NULL) {
        fprintf(stderr, "fuzz corpus %s: cannot open %s: %s\n", target, path,
                strerror(errno));
        return -1;
    }
    do {
        if (size == cap) {
            uint8_t *more;

            cap = cap ? cap * 2 : 4096;
            more = realloc(data, cap);
            if (more == NULL) {
                fprintf(stderr, "fuzz corpus %s: out of memory\n", target);
                exit(1);
            }
            data = more;
        }
        n = fread(data + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    if (ferror(f)) {
        fprintf(stderr, "fuzz corpus %s: cannot read %s\n", target, path);
        fclose(f);
        free(data);
        return -1;
    }
    fclose(f);

    /* The input in memory of exactly its size, as libFuzzer gives it. */
    {
        uint8_t *exact = malloc(size ? size : 1);

        if (exact == NULL) {
            fprintf(stderr, "fuzz corpus %s: out of memory\n", target);
            exit(1);
        }
        if (size) {
            memcpy(exact, data, size);
        }
        free(data);
        current = path;
        LLVMFuzzerTestOneInput(exact, size);
        current = NULL;
        free(exact);
    }
    return 0;
}

static int visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static int run_path(const char *path, unsigned long *count)
{
    struct stat st;
    struct dirent **names;
    int n, i, rv = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz corpus %s: %s: %s\n", target, path,
                strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (run_file(path) != 0) {
            return -1;
        }
        ++*count;
        return 0;
    }
    n = scandir(path, &names, visible, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz corpus %s: %s: %s\n", target, path,
                strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        char *file = malloc(strlen(path) + strlen(names[i]->d_name) + 2);

        if (file == NULL) {
            fprintf(stderr, "fuzz corpus %s: out of memory\n", target);
            exit(1);
        }
        sprintf(file, "%s/%s", path, names[i]->d_name);
        if (rv == 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(file) != 0) {
                rv = -1;
            }
            else {
                ++*count;
            }
        }
        free(file);
        free(names[i]);
    }
    free(names);
    return rv;
}

int main(int argc, char **argv)
{
    static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
    unsigned long count = 0;
    const char *base = strrchr(argv[0], '/');
    int i;

    /* t/fuzz/fuzz_beat (or lt-fuzz_beat) runs target "beat". */
    base = base ? base + 1 : argv[0];
    target = strstr(base, "fuzz_") ? strstr(base, "fuzz_") + 5 : base;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
        return 2;
    }
    for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++) {
        signal(sigs[i], on_crash);
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        if (run_path(argv[i], &count) != 0) {
            return 1;
        }
    }
    if (count == 0) {
        fprintf(stderr, "fuzz corpus %s: no inputs in", target);
        for (i = 1; i < argc; i++) {
            fprintf(stderr, " %s", argv[i]);
        }
        fprintf(stderr, "\n");
        return 1;
    }
    printf("fuzz corpus %s: %lu input%s ok\n", target, count,
           count == 1 ? "" : "s");
    return 0;
}
