/* vivarium-demo-client HOST REQUEST...: sends each request to vivarium-demo-server on HOST
   and prints the replies; exits 1 when one is an error. */
#include "protocol.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(const char *host)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *found;
    if (getaddrinfo(host, "7070", &hints, &found) != 0) {
        fprintf(stderr, "vivarium-demo-client: cannot resolve %s\n", host);
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = found; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0)
        fprintf(stderr, "vivarium-demo-client: cannot connect to %s port 7070\n", host);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: vivarium-demo-client HOST REQUEST...\n");
        return 2;
    }
    int fd = connect_to(argv[1]);
    if (fd < 0)
        return 1;
    int failed = 0;
    for (int i = 2; i < argc; i++) {
        char line[demo_line_max];
        if (demo_write_line(fd, argv[i]) != 0 || demo_read_line(fd, line, sizeof line) < 0) {
            fprintf(stderr, "vivarium-demo-client: the server closed the connection\n");
            return 1;
        }
        puts(line);
        if (strncmp(line, "ERR", 3) == 0)
            failed = 1;
    }
    close(fd);
    return failed;
}
