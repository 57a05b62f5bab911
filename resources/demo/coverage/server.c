/* vivarium-demo-server: a small key-value store over TCP (port 7070) for the coverage demo.
   PUT KEY VALUE, GET KEY, DEL KEY, STATS; one client at a time.

   Its counters reach the host two ways (docs/coverage.md): at exit — SIGTERM ends it with
   exit(), which writes them, as a service stopped by its manager — and on SIGUSR2, which
   Vivarium sends to the programs [coverage] flush names before it collects mid-run. */
#include "protocol.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* GCC's --coverage runtime: write the counters now, then start from zero (so the exit's
   write does not count them twice). */
extern void __gcov_dump(void);
extern void __gcov_reset(void);

enum { slots = 64 };
static char keys[slots][demo_line_max];
static char values[slots][demo_line_max];
static volatile sig_atomic_t stop, flush;
static unsigned long requests, misses;
/* The planted bug of the property-based coverage demo (pbt-coverage.py): after three
   overwrites the store "compacts lazily", and a DEL of a key that is there then answers
   MISSING. Each stage runs new lines, so a search that scores examples by the code they ran
   climbs towards it; a random one meets it in about 1 of 400 examples of up to 9 requests. */
static unsigned long overwrites;
static int tombstones, lazy_delete;

static void on_term(int signal)
{
    (void)signal;
    stop = 1;
}

static void on_flush(int signal)
{
    (void)signal;
    flush = 1;
}

static int find(const char *key)
{
    for (int i = 0; i < slots; i++)
        if (keys[i][0] && strcmp(keys[i], key) == 0)
            return i;
    return -1;
}

static void answer(int fd, char *line)
{
    char *verb, *key, *value;
    char reply[demo_line_max * 2];
    int words = demo_split(line, &verb, &key, &value);
    requests++;
    if (words >= 3 && strcmp(verb, "PUT") == 0) {
        int at = find(key);
        if (at >= 0) {
            overwrites++;
            if (overwrites >= 2) {
                tombstones = 1;
                if (overwrites >= 3)
                    lazy_delete = 1;
            }
        }
        for (int i = 0; at < 0 && i < slots; i++)
            if (!keys[i][0])
                at = i;
        if (at < 0) {
            demo_write_line(fd, "ERR full");
            return;
        }
        snprintf(keys[at], demo_line_max, "%s", key);
        snprintf(values[at], demo_line_max, "%s", value);
        demo_write_line(fd, "OK");
    } else if (words == 2 && strcmp(verb, "GET") == 0) {
        int at = find(key);
        if (at < 0) {
            misses++;
            demo_write_line(fd, "MISSING");
            return;
        }
        snprintf(reply, sizeof reply, "VALUE %s", values[at]);
        demo_write_line(fd, reply);
    } else if (words == 2 && strcmp(verb, "DEL") == 0) {
        int at = find(key);
        if (at >= 0 && lazy_delete) {
            tombstones++;
            demo_write_line(fd, "MISSING"); /* the bug: it was there */
            return;
        }
        if (at >= 0)
            keys[at][0] = '\0';
        demo_write_line(fd, at >= 0 ? "OK" : "MISSING");
    } else if (words == 1 && strcmp(verb, "STATS") == 0) {
        snprintf(reply, sizeof reply, "STATS requests=%lu misses=%lu", requests, misses);
        demo_write_line(fd, reply);
    } else {
        demo_write_line(fd, "ERR unknown request");
    }
}

int main(void)
{
    struct sigaction term = { .sa_handler = on_term };
    struct sigaction usr2 = { .sa_handler = on_flush };
    sigaction(SIGTERM, &term, NULL);
    sigaction(SIGINT, &term, NULL);
    sigaction(SIGUSR2, &usr2, NULL); /* no SA_RESTART: accept() returns with EINTR */
    int listener = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1, zero = 0;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 address = { .sin6_family = AF_INET6, .sin6_port = htons(demo_port) };
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0
        || listen(listener, 8) != 0) {
        perror("vivarium-demo-server: cannot listen on port 7070");
        return 1;
    }
    printf("vivarium-demo-server: listening on port %d\n", demo_port);
    fflush(stdout);
    while (!stop) {
        if (flush) {
            flush = 0;
            __gcov_dump();
            __gcov_reset();
        }
        int client = accept(listener, NULL, NULL);
        if (client < 0)
            continue; /* a signal: look at the flags */
        char line[demo_line_max];
        while (!stop && demo_read_line(client, line, sizeof line) >= 0)
            answer(client, line);
        close(client);
    }
    printf("vivarium-demo-server: stopped after %lu requests\n", requests);
    return 0; /* exit() writes the counters */
}
